package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.secagg.SecureRoundClient;
import dev.flotilla.protocol.secagg.ShareCourier;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import dev.flotilla.protocol.v1.SecAggPartyMessage;
import dev.flotilla.protocol.v1.SecAggServerMessage;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Set;
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
  @DisplayName("a party that announces an older SecAgg+ version (secagg+/2: every share relayed, round keys unbound) "
      + "is refused at Join with INVALID_ARGUMENT naming both versions, and takes no slot")
  void otherMaskVersionRefused() throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("jobV").model(MODEL).rounds(1).minParties(3).expectedParties(3)
        .roundTimeout(Duration.ofMinutes(10)).secureAggregation(100.0).stateDir(dir.resolve("state")).build();
    try (Federation f = new Federation(config)) {
      FakeParty old = f.party("old");
      assertThatThrownBy(() -> old.join(10, "secagg+/2"))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).isEqualTo("job jobV runs --secure-aggregation and party 'old' "
                + "did not announce the capability secagg+/3 at Join (it announced secagg+/2; secagg+/3 delivers "
                + "shares over the peer channel with receipts and binds each party's round keys to its certificate, "
                + "secagg+/2 relays every share and the keys unbound, secagg+/1 masks with ChaCha20, and every party "
                + "of a round must use the same): it cannot mask its "
                + "updates; run a party version that can");
          });
      assertThat(f.coordinator.status().parties()).isEmpty();
    }
  }

  @Test
  @DisplayName("secagg+/3: every share goes party to party, so the aggregator receives no share to relay (each party "
      + "names its neighbours as delivered directly and relays none) and the round completes with the mean")
  void sharesOverThePeerChannelAreNotRelayed() throws Exception {
    PeerShares peers = new PeerShares(Set.of());
    MaskedRun run = maskedRun("jobP", 6, Set.of(), peers);

    for (SecAggShareBundle sent : run.sharesSent.values()) {
      assertThat(sent.getSharesCount()).as("shares given to the aggregator to relay").isZero();
      assertThat(sent.getDeliveredDirectlyCount()).isEqualTo(run.neighbours);
    }
    for (SecAggShareBundle relayed : run.relayedBack.values()) {
      assertThat(relayed.getSharesCount()).as("shares the aggregator relayed").isZero();
      assertThat(relayed.getSharedNeighboursCount()).isEqualTo(run.neighbours);
    }
    assertThat(peers.deliveries.get()).isEqualTo(6 * run.neighbours);
    run.assertMean(3.5f);
  }

  @Test
  @DisplayName("secagg+/3: a party whose peer endpoint cannot be reached gets its shares by the aggregator's relay "
      + "(sealed end to end), the others party to party; the round completes with the mean")
  void unreachablePeerGetsItsSharesByRelay() throws Exception {
    PeerShares peers = new PeerShares(Set.of("p2"));
    MaskedRun run = maskedRun("jobU", 6, Set.of(), peers);

    int relayedToP2 = run.relayedBack.get("p2").getSharesCount();
    assertThat(relayedToP2).isEqualTo(run.neighbours);
    run.relayedBack.forEach((name, relayed) -> {
      if (!name.equals("p2")) {
        assertThat(relayed.getSharesCount()).as("shares relayed to " + name).isZero();
      }
    });
    int given = run.sharesSent.values().stream().mapToInt(SecAggShareBundle::getSharesCount).sum();
    assertThat(given).as("shares the aggregator received to relay").isEqualTo(run.neighbours);
    run.assertMean(3.5f);
  }

  @Test
  @DisplayName("secagg+/3: one of ten parties killed after sharing party to party: the round completes with the mean "
      + "of the nine survivors (its masks come out by its neighbours' share receipts)")
  void tenPercentKilledAfterDirectSharing() throws Exception {
    PeerShares peers = new PeerShares(Set.of());
    MaskedRun run = maskedRun("jobK", 10, Set.of("p9"), peers);

    // survivors sent 1..9: their mean is 5
    run.assertMean(5f);
    assertThat(run.record.parties()).hasSize(9).doesNotContain("p9");
  }

  /** What went over a masked round: the bundles each party sent, the relayed bundles it got, the model after. */
  private final class MaskedRun {
    final Map<String, SecAggShareBundle> sharesSent = new java.util.concurrent.ConcurrentHashMap<>();
    final Map<String, SecAggShareBundle> relayedBack = new java.util.concurrent.ConcurrentHashMap<>();
    RoundRecord record;
    int neighbours;
    float[][] model;

    void assertMean(float mean) {
      for (float[] tensor : model) {
        for (float v : tensor) {
          assertThat(v).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    }
  }

  /**
   * One masked round of {@code n} parties p0..p(n-1) whose update values are 1..n; those in {@code killed} die after
   * sharing. Shares go by {@code peers} where it delivers them.
   */
  private MaskedRun maskedRun(String job, int n, Set<String> killed, PeerShares peers) throws Exception {
    ServerConfig config = ServerConfig.builder().jobId(job).model(MODEL).seed(5).rounds(1).minParties(3)
        .expectedParties(n).joinGrace(Duration.ofMinutes(5)).roundTimeout(Duration.ofMinutes(10))
        .finalEvaluationWait(Duration.ZERO).secureAggregation(100.0).stateDir(dir.resolve(job)).build();
    List<TensorSpec> specs = ModelSpecs.forName(MODEL);
    ExecutorService pool = Executors.newCachedThreadPool();
    MaskedRun run = new MaskedRun();
    Federation f = new Federation(config);
    try {
      List<FakeParty> parties = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        FakeParty p = f.party("p" + i);
        p.connect(10, SecAggParams.CAPABILITY);
        parties.add(p);
      }
      List<Future<SecureRoundClient>> shared = new ArrayList<>();
      for (FakeParty p : parties) {
        TrainRequest train = p.awaitTrain();
        run.neighbours = train.getSecureAggregation().getSetup().getNeighbours();
        Channel recorded = ClientInterceptors.intercept(f.channel, TestIdentity.as(p.name), recorder(p.name, run));
        shared.add(pool.submit(() -> {
          SecureRoundClient client = new SecureRoundClient(recorded, train, Duration.ofMinutes(5),
              Duration.ofMinutes(4), null, peers.courier(train)); // in-process: no TLS identity
          client.shareKeys();
          return client;
        }));
      }
      List<Future<Integer>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        SecureRoundClient client = shared.get(i).get(5, TimeUnit.MINUTES);
        if (killed.contains(parties.get(i).name)) {
          client.close();
          parties.get(i).dropRounds();
          continue;
        }
        float[][] update = constant(specs, i + 1);
        done.add(pool.submit(() -> client.submit(update, 10, Map.of())));
      }
      for (Future<Integer> d : done) {
        assertThat(d.get(5, TimeUnit.MINUTES)).as("survivors").isEqualTo(n - killed.size());
      }
      FakeParty reader = parties.get(0);
      for (int waited = 0; ; waited++) {
        var event = reader.nextEvent();
        if (event != null && event.hasFinished()) {
          break;
        }
        assertThat(waited).as("events before Finished").isLessThan(10);
      }
      run.model = reader.fetch(specs, 1).tensors();
      run.record = f.coordinator.status().rounds().get(0);
      return run;
    } finally {
      pool.shutdownNow();
      f.close();
    }
  }

  /** Records the share bundles a party sends and the relayed ones it receives on its MaskedRound stream. */
  private static ClientInterceptor recorder(String name, MaskedRun run) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void sendMessage(Q message) {
            if (message instanceof SecAggPartyMessage m && m.hasShares()) {
              run.sharesSent.put(name, m.getShares());
            }
            super.sendMessage(message);
          }

          @Override
          public void start(Listener<R> listener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onMessage(R message) {
                if (message instanceof SecAggServerMessage m && m.hasRelayed()) {
                  run.relayedBack.put(name, m.getRelayed());
                }
                super.onMessage(message);
              }
            }, headers);
          }
        };
      }
    };
  }

  /**
   * The peer channel between in-process parties (party's PeerShareCourier does this over mutual TLS; its own test
   * covers that): a map of delivered shares; parties named {@code unreachable} cannot be delivered to.
   */
  private static final class PeerShares {
    final Set<String> unreachable;
    final Map<List<Integer>, SecAggEncryptedShare> delivered = new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.atomic.AtomicInteger deliveries = new java.util.concurrent.atomic.AtomicInteger();

    PeerShares(Set<String> unreachable) {
      this.unreachable = unreachable;
    }

    ShareCourier courier(TrainRequest train) {
      int self = train.getSecureAggregation().getParty();
      Map<Integer, String> names = train.getSecureAggregation().getNeighbourNamesMap();
      return new ShareCourier() {
        @Override
        public Map<Integer, String> deliver(List<SecAggEncryptedShare> shares) {
          Map<Integer, String> undelivered = new java.util.HashMap<>();
          for (SecAggEncryptedShare share : shares) {
            if (unreachable.contains(names.get(share.getTo()))) {
              undelivered.put(share.getTo(), "CONNECTION_REFUSED");
            } else {
              delivered.put(List.of(self, share.getTo()), share);
              deliveries.incrementAndGet();
            }
          }
          return undelivered;
        }

        @Override
        public java.util.Optional<SecAggEncryptedShare> collect(int from) {
          return java.util.Optional.ofNullable(delivered.remove(List.of(from, self)));
        }
      };
    }
  }

  private static Future<?> runMasked(ExecutorService pool, Federation f, String name, TrainRequest train,
      float[][] update) {
    return pool.submit(() -> {
      SecureRoundClient client = new SecureRoundClient(ClientInterceptors.intercept(f.channel, TestIdentity.as(name)),
          train, Duration.ofMinutes(5), Duration.ofMinutes(4), null, // in-process: no TLS identity to bind keys to
          ShareCourier.RELAY_ONLY);
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
