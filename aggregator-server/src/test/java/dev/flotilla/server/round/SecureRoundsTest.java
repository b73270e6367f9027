package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.secagg.SecureRoundClient;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.TestIdentity;
import io.grpc.ClientInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masked rounds (--secure-aggregation) through the real coordinator on in-process gRPC. */
class SecureRoundsTest {

  private static final String MODEL = "mlp:4-3-2";

  @TempDir
  Path dir;

  @Test
  @DisplayName("a party that connects while a masked round is open gets no TrainRequest for it (its roster and keys "
      + "are fixed): the round completes with the roster's sum, and the late party trains the next round, masked")
  void lateJoinerWaitsForTheNextMaskedRound() throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("jobS").model(MODEL).seed(5).rounds(2).minParties(3)
        .expectedParties(4).joinGrace(Duration.ZERO).roundTimeout(Duration.ofMinutes(10))
        .finalEvaluationWait(Duration.ZERO).secureAggregation(100.0).stateDir(dir.resolve("state")).build();
    List<TensorSpec> specs = ModelSpecs.forName(MODEL);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (Federation f = new Federation(config)) {
      List<FakeParty> roster = new ArrayList<>();
      for (String name : List.of("alice", "bob", "carol")) {
        FakeParty p = f.party(name);
        p.connect(10, SecAggParams.CAPABILITY);
        roster.add(p);
      }
      List<TrainRequest> trains = new ArrayList<>();
      for (FakeParty p : roster) {
        TrainRequest train = p.awaitTrain();
        assertThat(train.getRound()).isEqualTo(1);
        assertThat(train.hasSecureAggregation()).isTrue();
        trains.add(train);
      }
      // dave connects while round 1's masked round waits for the roster's keys
      FakeParty dave = f.party("dave");
      dave.connect(10, SecAggParams.CAPABILITY);
      awaitConnected(f, 4);

      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < roster.size(); i++) {
        float[][] update = constant(specs, i + 1);
        done.add(runMasked(pool, f, roster.get(i).name, trains.get(i), update));
      }
      for (Future<?> d : done) {
        d.get(5, TimeUnit.MINUTES);
      }

      TrainRequest next = dave.awaitTrain();
      assertThat(next.getRound()).as("dave's first TrainRequest").isEqualTo(2);
      assertThat(next.hasSecureAggregation()).isTrue();
      RoundRecord first = f.coordinator.status().rounds().get(0);
      assertThat(first.parties()).containsExactlyInAnyOrder("alice", "bob", "carol");
      assertThat(first.lateOrDropped()).isEmpty();
      // every value of the three updates is 1, 2 and 3: their mean is 2 (weights equal, 10 samples each)
      for (float[] tensor : roster.get(0).fetch(specs, 1).tensors()) {
        for (float v : tensor) {
          assertThat(v).isCloseTo(2.0f, org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("a party that announces another SecAgg+ version (secagg+/2: round keys unbound) is refused at Join with "
      + "INVALID_ARGUMENT naming both versions, and takes no slot")
  void otherMaskVersionRefused() throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("jobV").model(MODEL).rounds(1).minParties(3).expectedParties(3)
        .roundTimeout(Duration.ofMinutes(10)).secureAggregation(100.0).stateDir(dir.resolve("state")).build();
    try (Federation f = new Federation(config)) {
      FakeParty old = f.party("old");
      assertThatThrownBy(() -> old.join(10, "secagg+/2"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).isEqualTo("job jobV runs --secure-aggregation and party 'old' "
                + "did not announce the capability secagg+/3 at Join (it announced secagg+/2; secagg+/3 binds each "
                + "party's round keys to its certificate and masks with AES-256-CTR, secagg+/2 relays the keys unbound, "
                + "secagg+/1 masks with ChaCha20, and every party of a round must use the same): it cannot mask its "
                + "updates; run a party version that can");
          });
      assertThat(f.coordinator.status().parties()).isEmpty();
    }
  }

  private static Future<?> runMasked(ExecutorService pool, Federation f, String name, TrainRequest train,
      float[][] update) {
    return pool.submit(() -> {
      SecureRoundClient client = new SecureRoundClient(ClientInterceptors.intercept(f.channel, TestIdentity.as(name)),
          train, Duration.ofMinutes(5), Duration.ofMinutes(4), null); // in-process: no TLS identity to bind keys to
      client.shareKeys();
      return client.submit(update, 10, Map.of());
    });
  }

  private static void awaitConnected(Federation f, int parties) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (f.coordinator.status().partiesConnected().size() < parties) {
      if (System.nanoTime() > end) {
        throw new AssertionError("fewer than " + parties + " parties connected within 60 s");
      }
      Thread.sleep(20);
    }
  }

  private static float[][] constant(List<TensorSpec> specs, float value) {
    float[][] out = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      out[t] = new float[specs.get(t).numElements()];
      java.util.Arrays.fill(out[t], value);
    }
    return out;
  }
}
