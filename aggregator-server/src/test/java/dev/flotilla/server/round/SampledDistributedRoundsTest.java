package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.secagg.SecureRoundClient;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.TestIdentity;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.RdpAccountant;
import io.grpc.ClientInterceptors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distributed-DP round with party sampling, through the in-process coordinator: a sample smaller than 3 is
 * padded with noise-only parties, the round completes, those parties count no samples, and the ledger charges
 * the subsampled Gaussian with the sampling rate.
 */
class SampledDistributedRoundsTest {
  private static final String MODEL = "mlp:4-3-2";

  @TempDir
  Path dir;

  @Test
  @DisplayName("at sampling rate 0.2 with 3 parties, the round runs over the sample padded to 3 (the padding told "
      + "noise only, sending their noise share without training), completes, records the sampled parties' samples "
      + "only, and charges epsilon for q 0.2")
  void paddedSampleCompletes() throws Exception {
    PrivacyBudget budget = new PrivacyBudget(100, 1e-5, 1.0, 1.0, 0.2, PrivacySettings.NoiseMode.DISTRIBUTED, 0);
    ServerConfig config = ServerConfig.builder().jobId("jobD").model(MODEL).seed(5).rounds(1).minParties(3)
        .expectedParties(3).joinGrace(Duration.ZERO).roundTimeout(Duration.ofMinutes(10))
        .finalEvaluationWait(Duration.ZERO).secureAggregation(100.0).privacy(budget)
        .stateDir(dir.resolve("state")).build();
    List<TensorSpec> specs = ModelSpecs.forName(MODEL);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (Federation f = new Federation(config)) {
      List<FakeParty> parties = new ArrayList<>();
      for (String name : List.of("alice", "bob", "carol")) {
        FakeParty p = f.party(name);
        p.connect(10, SecAggParams.CAPABILITY);
        parties.add(p);
      }
      List<TrainRequest> trains = new ArrayList<>();
      for (FakeParty p : parties) {
        trains.add(p.awaitTrain());
      }
      long noiseOnly = trains.stream().filter(t -> t.getSecureAggregation().getDistributedNoise().getNoiseOnly()).count();
      // every party is in the masked round: the sample (rate 0.2) padded up to 3
      assertThat(trains).allSatisfy(t -> assertThat(t.getSecureAggregation().getSetup().getRosterSize()).isEqualTo(3));
      float[][] base = parties.get(0).fetch(specs, 0).tensors();
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < parties.size(); i++) {
        String name = parties.get(i).name;
        TrainRequest train = trains.get(i);
        float[][] update = base.clone();
        done.add(pool.submit(() -> {
          SecureRoundClient client = new SecureRoundClient(ClientInterceptors.intercept(f.channel,
              TestIdentity.as(name)), train, Duration.ofMinutes(5), Duration.ofMinutes(4), null,
              dev.flotilla.protocol.secagg.ShareCourier.RELAY_ONLY);
          client.shareKeys();
          // a padding party trains nothing: it sends its noise share alone (PartyRunner does the same)
          return client.noiseOnly() ? client.submitNoiseOnly(base) : client.submit(update, base, 10, Map.of());
        }));
      }
      for (Future<?> d : done) {
        d.get(5, TimeUnit.MINUTES);
      }
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (f.coordinator.status().rounds().isEmpty() && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      RoundRecord first = f.coordinator.status().rounds().get(0);
      assertThat(first.parties()).hasSize(3);
      assertThat(first.samples()).isEqualTo(10 * (3 - noiseOnly));
      assertThat(f.coordinator.status().privacy().epsilonSpent()).isCloseTo(
          RdpAccountant.epsilon(0.2, 1.0, 1, 1e-5, RdpAccountant.Conversion.IMPROVED).epsilon(), Offset.offset(1e-9));
    } finally {
      pool.shutdownNow();
    }
  }
}
