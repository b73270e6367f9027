package dev.flotilla.server;

import static dev.flotilla.testing.ByteUniformity.CRITICAL_255;
import static dev.flotilla.testing.ByteUniformity.chiSquare;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.secagg.RoundKeyBinding;
import dev.flotilla.protocol.secagg.SecureRoundClient;
import dev.flotilla.protocol.secagg.ShareCourier;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.SecAggPartyMessage;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * --secure-aggregation end to end: the server jar over mutual TLS, ten parties that run the masked
 * round with the same {@link SecureRoundClient} the party runtime uses, each with an update the test
 * chose, so the aggregated model can be checked against the mean of the survivors' updates.
 */
@DisplayName("--secure-aggregation: SecAgg+ rounds over mTLS between the server jar and ten parties")
class SecureAggregationIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");
  private static final int PARTIES = 10;

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  /** A test party: its channel (to kill it), its Federation calls, and the masked bytes it sent over the wire. */
  private final class Party {
    final String name;
    final long samples;
    final ManagedChannel channel;
    final FakeParty federation;
    final ByteArrayOutputStream maskedSent = new ByteArrayOutputStream();
    final Channel masked;
    final RoundKeyBinding binding;

    Party(TestPki pki, int port, int index) {
      this.name = "party-" + index;
      this.binding = RoundKeyBinding.of(pki.party(name));
      this.samples = 100 + 37L * index;
      this.channel = channels.open(pki, port, name);
      this.federation = new FakeParty(channel, name);
      this.masked = ClientInterceptors.intercept(channel, new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
          return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void sendMessage(Q message) {
              if (message instanceof SecAggPartyMessage m && m.hasMasked()) {
                synchronized (maskedSent) {
                  maskedSent.writeBytes(m.getMasked().toByteArray());
                }
              }
              super.sendMessage(message);
            }
          };
        }
      });
    }

    SecureRoundClient open(TrainRequest train) {
      return new SecureRoundClient(masked, train, Duration.ofMinutes(10), Duration.ofMinutes(5), binding,
          ShareCourier.RELAY_ONLY);
    }

    /** Dies as a killed process does: every call and the connection go at once. */
    void kill() {
      channel.shutdownNow();
    }
  }

  private static float[][] update(int seed) {
    Random random = new Random(seed);
    float[][] update = new float[MLP.size()][];
    for (int t = 0; t < MLP.size(); t++) {
      update[t] = new float[MLP.get(t).numElements()];
      for (int i = 0; i < update[t].length; i++) {
        update[t][i] = (float) (random.nextGaussian() * 0.5);
      }
    }
    return update;
  }

  private ServerProcess start(TestPki pki, int port, String rounds) throws Exception {
    ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", rounds, "--min-parties", "3",
        "--expected-parties", Integer.toString(PARTIES), "--model", "mlp", "--secure-aggregation",
        "--round-timeout", "10m", "--final-eval-wait", "2m", "--join-grace", "5s");
    server.awaitServing(channels.open(pki, port, "probe"));
    return server;
  }

  private List<Party> connect(TestPki pki, int port) {
    List<Party> parties = new ArrayList<>();
    for (int p = 0; p < PARTIES; p++) {
      Party party = new Party(pki, port, p);
      party.federation.connect(party.samples, SecAggParams.CAPABILITY);
      parties.add(party);
    }
    return parties;
  }

  /**
   * One masked round attempt: every party shares keys, those in {@code killed} die, the others submit
   * their update (round and attempt as given); returns each survivor's outcome (the survivor count or
   * the exception).
   */
  private Map<Party, Object> maskedRound(List<Party> parties, Map<Party, TrainRequest> trains, Set<Party> killed,
      Map<Party, float[][]> updates) throws Exception {
    Map<Party, Future<SecureRoundClient>> shared = new java.util.LinkedHashMap<>();
    for (Party party : parties) {
      shared.put(party, pool.submit(() -> {
        SecureRoundClient client = party.open(trains.get(party));
        client.shareKeys();
        return client;
      }));
    }
    Map<Party, Future<Integer>> submitted = new java.util.LinkedHashMap<>();
    for (Party party : parties) {
      SecureRoundClient client = shared.get(party).get(5, TimeUnit.MINUTES);
      if (killed.contains(party)) {
        party.kill();
        continue;
      }
      submitted.put(party, pool.submit(() -> client.submit(updates.get(party), party.samples, Map.of("accuracy", 0.5))));
    }
    Map<Party, Object> outcomes = new java.util.LinkedHashMap<>();
    for (var entry : submitted.entrySet()) {
      try {
        outcomes.put(entry.getKey(), entry.getValue().get(5, TimeUnit.MINUTES));
      } catch (java.util.concurrent.ExecutionException e) {
        outcomes.put(entry.getKey(), e.getCause());
      }
    }
    return outcomes;
  }

  private static float[][] weightedMean(List<Party> survivors, Map<Party, float[][]> updates) {
    double total = survivors.stream().mapToLong(p -> p.samples).sum();
    float[][] mean = new float[MLP.size()][];
    for (int t = 0; t < MLP.size(); t++) {
      mean[t] = new float[MLP.get(t).numElements()];
      for (int i = 0; i < mean[t].length; i++) {
        double sum = 0;
        for (Party p : survivors) {
          sum += p.samples * (double) updates.get(p)[t][i];
        }
        mean[t][i] = (float) (sum / total);
      }
    }
    return mean;
  }

  private static void assertModel(float[][] actual, float[][] expected) {
    for (int t = 0; t < expected.length; t++) {
      for (int i = 0; i < expected[t].length; i++) {
        if (Math.abs(actual[t][i] - expected[t][i]) > 1e-5) {
          throw new AssertionError("tensor " + MLP.get(t).name() + " value " + i + ": " + actual[t][i]
              + ", the survivors' mean is " + expected[t][i]);
        }
      }
    }
  }

  @Test
  @DisplayName("one of ten parties killed after sharing keys: the round completes at its first attempt, the model is "
      + "the sample-weighted mean of the nine survivors' updates, and the masked bytes each sent are uniform "
      + "(chi-square, p = 0.001)")
  void oneKilledAfterSharingKeys() throws Exception {
    TestPki pki = new TestPki(dir, "secagg");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "1")) {
      List<Party> parties = connect(pki, port);
      Map<Party, TrainRequest> trains = new java.util.LinkedHashMap<>();
      Map<Party, float[][]> updates = new java.util.LinkedHashMap<>();
      for (Party party : parties) {
        TrainRequest train = party.federation.awaitTrain();
        assertThat(train.hasSecureAggregation()).isTrue();
        assertThat(train.getSecureAggregation().getSetup().getRosterSize()).isEqualTo(PARTIES);
        trains.put(party, train);
        updates.put(party, update(parties.indexOf(party)));
      }
      Party victim = parties.get(4);

      Map<Party, Object> outcomes = maskedRound(parties, trains, Set.of(victim), updates);

      assertThat(outcomes.values()).as("survivor count each party was told").containsOnly(PARTIES - 1);
      List<Party> survivors = parties.stream().filter(p -> p != victim).toList();
      RoundEvent finished = survivors.get(0).federation.nextEvent();
      assertThat(finished.hasFinished()).as(finished.toString()).isTrue();
      float[][] model = survivors.get(0).federation.fetch(MLP, 1).tensors();
      assertModel(model, weightedMean(survivors, updates));
      for (Party survivor : survivors) {
        byte[] wire = survivor.maskedSent.toByteArray();
        assertThat(wire).hasSize(4 * (int) ModelSpecs.totalElements(MLP));
        assertThat(chiSquare(wire)).as(survivor.name + "'s masked bytes").isLessThan(CRITICAL_255);
      }
      // the same test rejects an update in the clear (float32 bytes): it can fail
      java.nio.ByteBuffer plain = java.nio.ByteBuffer.allocate(4 * updates.get(victim)[0].length);
      plain.asFloatBuffer().put(updates.get(victim)[0]);
      assertThat(chiSquare(plain.array())).isGreaterThan(10 * CRITICAL_255);
      assertThat(server.log()).contains("round 1: masked inputs from 9 parties, dropped after sharing keys: [party-4]",
          "round 1 completed");
    }
  }

  @Test
  @DisplayName("six of ten killed after sharing keys (the threshold is 5 of 8 neighbours): the attempt fails with "
      + "ABORTED and the reason, then the round is retried with the four left and completes with their mean")
  void moreDropoutsThanTheThresholdFailTheRound() throws Exception {
    TestPki pki = new TestPki(dir, "secagg-fail");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "1")) {
      List<Party> parties = connect(pki, port);
      Map<Party, TrainRequest> trains = new java.util.LinkedHashMap<>();
      Map<Party, float[][]> updates = new java.util.LinkedHashMap<>();
      for (Party party : parties) {
        trains.put(party, party.federation.awaitTrain());
        updates.put(party, update(100 + parties.indexOf(party)));
      }
      Set<Party> killed = Set.copyOf(parties.subList(4, PARTIES));

      Map<Party, Object> outcomes = maskedRound(parties, trains, killed, updates);

      String reason = "the round fails: 4 of 10 parties sent masked inputs, fewer than the threshold 5";
      assertThat(outcomes).hasSize(4);
      for (Object outcome : outcomes.values()) {
        assertThat(outcome).isInstanceOf(StatusRuntimeException.class);
        Status status = ((StatusRuntimeException) outcome).getStatus();
        assertThat(status.getCode()).isEqualTo(Status.Code.ABORTED);
        assertThat(status.getDescription()).isEqualTo(reason);
      }
      await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(server.log())
          .contains("round 1 attempt 1: the masked round failed: " + reason, "round 1 attempt 1 failed"));

      List<Party> left = parties.subList(0, 4);
      Map<Party, TrainRequest> retry = new java.util.LinkedHashMap<>();
      for (Party party : left) {
        TrainRequest train = party.federation.awaitTrain();
        assertThat(train.getRound()).isEqualTo(1);
        assertThat(train.getAttempt()).isEqualTo(2);
        assertThat(train.getSecureAggregation().getSetup().getRosterSize()).isEqualTo(4);
        retry.put(party, train);
      }
      Map<Party, Object> second = maskedRound(left, retry, Set.of(), updates);

      assertThat(second.values()).containsOnly(4);
      assertThat(left.get(0).federation.nextEvent().hasFinished()).isTrue();
      assertModel(left.get(0).federation.fetch(MLP, 1).tensors(), weightedMean(left, updates));
    }
  }

  @Test
  @DisplayName("a party without the secagg+/3 capability (none, or the older secagg+/2) is refused at Join with INVALID_ARGUMENT saying why; "
      + "a SubmitUpdate in the clear is refused with FAILED_PRECONDITION")
  void partiesThatCannotMaskAreRefused() throws Exception {
    TestPki pki = new TestPki(dir, "secagg-refuse");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "1")) {
      FakeParty old = channels.party(pki, port, "old");
      assertThatThrownBy(() -> old.join(100, "float32"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).isEqualTo("job secagg-refuse runs --secure-aggregation and "
                + "party 'old' did not announce the capability secagg+/3 at Join: it cannot mask its updates; run a "
                + "party version that can");
          });
      FakeParty older = channels.party(pki, port, "older");
      assertThatThrownBy(() -> older.join(100, "secagg+/2"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
              .isEqualTo("job secagg-refuse runs --secure-aggregation and party 'older' did not announce the "
                  + "capability secagg+/3 at Join (it announced secagg+/2; secagg+/3 delivers shares over the peer "
                  + "channel with receipts and binds each party's round keys to its certificate, secagg+/2 relays "
                  + "every share and the keys unbound, secagg+/1 masks with ChaCha20, and every party of a round must "
                  + "use the same): it cannot mask its updates; run a party version that can"));
      FakeParty clear = channels.party(pki, port, "clear");
      clear.join(100, SecAggParams.CAPABILITY);
      assertThatThrownBy(() -> clear.submit(1, 100, Map.of(), MLP, update(1)))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(e.getStatus().getDescription()).contains("runs --secure-aggregation: party 'clear' sends its "
                + "update masked");
          });
    }
  }
}
