package dev.flotilla.bench;

import dev.flotilla.party.client.FederationSession;
import dev.flotilla.party.peer.PeerChannel;
import dev.flotilla.party.peer.PeerDialer;
import dev.flotilla.party.peer.PeerEndpoint;
import dev.flotilla.party.peer.PeerShareCourier;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.secagg.RoundKeyBinding;
import dev.flotilla.protocol.secagg.SecureRoundClient;
import dev.flotilla.protocol.secagg.ShareCourier;
import dev.flotilla.protocol.status.ShareRoutes;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.ManagedChannel;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench secagg-round}: one round through the wired path (the server's own module over mTLS
 * in this JVM, every party a real TLS channel running the party's {@link SecureRoundClient}) against
 * a plain FedAvg round of the same parties and model measured in the same run; then a masked round
 * with --dropout of the parties killed after sharing keys. Parties train nothing (they send a fixed
 * update), and they share this machine's cores with the aggregator: the round time includes every
 * party's masking, which real parties do in parallel on their own machines; the aggregator's own CPU
 * time (its threads) is printed too. With {@code --share-path peer} (the default, what parties with
 * --peer-port do) every party serves its own peer endpoint (the party's {@link PeerEndpoint} over mTLS
 * with its own certificate) and delivers its shares by the party's {@link PeerShareCourier}; with
 * {@code relay} every share goes by the aggregator.
 */
@Command(name = "secagg-round", mixinStandardHelpOptions = true,
    description = {"Round time of SecAgg+ through the wired path (server module over mTLS, in-process parties with",
        "the party's SecureRoundClient) against plain FedAvg with the same parties, as a ratio; then with --dropout",
        "of the parties killed after sharing keys. Parties mask at most --maskers and upload at most --uploaders at",
        "once (they share the cores); a party's masking and its upload take separate turns, as on its own machine.",
        "--share-path peer: each party serves its peer endpoint (mTLS, its own certificate) and sends its shares",
        "party to party, as parties with --peer-port do; relay: every share goes by the aggregator."})
final class SecAggRoundBench implements Callable<Integer> {

  @Option(names = "--parties", defaultValue = "100", description = "Parties (default ${DEFAULT-VALUE}).")
  int parties;

  @Option(names = "--model", defaultValue = "mlp:784-1024-200-10",
      description = "Built-in model (default ${DEFAULT-VALUE}: 1,010,850 values).")
  String model;

  @Option(names = "--dropout", defaultValue = "0.1", description = "Share killed after key sharing (default ${DEFAULT-VALUE}).")
  double dropout;

  @Option(names = "--maskers", defaultValue = "2", description = "Parties encoding and masking at once (default ${DEFAULT-VALUE}).")
  int maskers;

  @Option(names = "--uploaders", defaultValue = "2", description = "Parties sending their update (plain) or masked "
      + "input at once, in both jobs alike (default ${DEFAULT-VALUE}).")
  int uploaders;

  @Option(names = "--rounds", defaultValue = "3",
      description = "Rounds of the plain and the masked job (default ${DEFAULT-VALUE}). The neighbour graph is drawn "
          + "afresh each round, so round 1 is every party's first meeting with each of its neighbours (a full TLS "
          + "handshake each); in later rounds a party re-dials the neighbours it met before by a resumed TLS session. "
          + "Round r of each job is compared with round r of the other (the server's round records), and the ratio is "
          + "of their summed durations; the dropout job "
          + "runs one round.")
  int rounds;

  @Option(names = "--warm-up-rounds", defaultValue = "2",
      description = "Rounds of a plain and of a masked job run first and not measured (default ${DEFAULT-VALUE}), so "
          + "that the measured rounds run on code the JIT has compiled, as a federation's rounds after its first do; "
          + "the warm-up jobs' first round is printed as the cold figure. 0: measure the JVM's first rounds.")
  int warmUpRounds;

  @Option(names = "--senders", defaultValue = "2",
      description = "Parties delivering their shares over the peer channel at once (default ${DEFAULT-VALUE}): 100 "
          + "parties of one machine opening their 14 TLS connections each at the same moment time out on 2 cores.")
  int senders;

  /** How the Shamir shares travel. */
  enum SharePath { peer, relay }

  @Option(names = "--share-path", defaultValue = "peer",
      description = "peer: each party serves its peer endpoint and delivers its shares directly (as with --peer-port); "
          + "relay: every share goes by the aggregator (default ${DEFAULT-VALUE}).")
  SharePath sharePath;

  /** One measured round: wall seconds from the first TrainRequest to the round's record, and the aggregator's CPU seconds. */
  record Measured(double wallSeconds, double serverCpuSeconds, double recordSeconds, ShareRoutes routes,
      Deliveries deliveries, int senders, List<RoundRecord> records, CpuSplit cpu) {}

  /**
   * Where the job's CPU went in this one process: the aggregator's threads, the JIT compiler, and the rest (the
   * in-process parties' masking, TLS and calls, with the event loops and GC they share with the aggregator).
   * On 2 cores the parties' share runs in turn; in a deployment each party spends its own on its own machine.
   */
  record CpuSplit(double processSeconds, double aggregatorSeconds, double jitSeconds) {
    double partiesSeconds() {
      return processSeconds - aggregatorSeconds - jitSeconds;
    }

    String describe(int parties) {
      return String.format(Locale.ROOT, "CPU of the process %.2f s: aggregator %.2f s, JIT %.2f s, parties and shared "
          + "threads %.2f s (%.3f s a party)", processSeconds, aggregatorSeconds, jitSeconds, partiesSeconds(),
          partiesSeconds() / parties);
    }
  }

  /** The parties' deliveries over the peer channel in a job: how many deliveries, their seconds summed. */
  static final class Deliveries {
    private final java.util.concurrent.atomic.LongAdder nanos = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder parties = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder shares = new java.util.concurrent.atomic.LongAdder();
    private long resumed;

    void add(long elapsedNanos, int count) {
      nanos.add(elapsedNanos);
      parties.increment();
      shares.add(count);
    }

    /** The peer endpoints resumed {@code sessions} TLS sessions in the job (tickets, no certificate checks). */
    void resumed(long sessions) {
      resumed = sessions;
    }

    String describe(int senders) {
      long n = parties.sum();
      return n == 0 ? "" : String.format(Locale.ROOT, "; peer deliveries: %d deliveries, %d shares, %.2f s a delivery "
          + "(a party's mTLS connections to its neighbours), %.1f s summed (at most %d parties at once), %d of the "
          + "connections resumed a TLS session", n, shares.sum(), nanos.sum() / 1e9 / n, nanos.sum() / 1e9, senders,
          resumed);
    }
  }

  private final List<RoundKeyBinding> bindings = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    double[] load = BenchMain.loadAverage();
    List<TensorSpec> specs = ModelSpecs.forName(model);
    System.out.printf(Locale.ROOT, "secagg-round: %d parties, model %s (%d values), shares by %s, load average %.1f%n",
        parties, model, ModelSpecs.totalElements(specs), sharePath == SharePath.peer ? "the peer channel" : "the relay",
        load[0]);
    System.out.printf(Locale.ROOT, "command: java --add-modules=jdk.incubator.vector -jar bench/target/bench.jar "
        + "secagg-round --parties %d --model %s --dropout %s --maskers %d --uploaders %d --senders %d --share-path %s "
        + "--rounds %d --warm-up-rounds %d%n", parties, model, dropout, maskers, uploaders, senders, sharePath, rounds,
        warmUpRounds);
    Path work = Files.createTempDirectory("flotilla-secagg-round");
    Pki pki = new Pki(work.resolve("pki"));
    TlsFiles server = pki.server();
    List<TlsFiles> partyFiles = new ArrayList<>();
    for (int i = 0; i < parties; i++) {
      partyFiles.add(pki.party(i));
      // one a party, kept through every job as a party process keeps it through its rounds: the warm-up rounds
      // stand for a job's earlier rounds, in which it verified some of its neighbours' chains
      bindings.add(RoundKeyBinding.of(partyFiles.get(i)));
    }
    float[][] update = update(specs);
    if (warmUpRounds > 0) {
      Measured coldPlain = round(work.resolve("warm-up-plain"), server, partyFiles, specs, update, false, 0, warmUpRounds);
      Measured coldMasked = round(work.resolve("warm-up-masked"), server, partyFiles, specs, update, true, 0,
          warmUpRounds);
      double p = coldPlain.records().get(0).durationSeconds();
      double m = coldMasked.records().get(0).durationSeconds();
      System.out.printf(Locale.ROOT, "cold (the warm-up jobs' round 1, the JVM's first rounds; not measured): plain %.2f s,"
          + " SecAgg+ %.2f s, ratio %.2f; their last round: plain %.2f s, SecAgg+ %.2f s%n", p, m, m / p,
          coldPlain.records().get(warmUpRounds - 1).durationSeconds(),
          coldMasked.records().get(warmUpRounds - 1).durationSeconds());
    }
    Measured plain = round(work.resolve("plain"), server, partyFiles, specs, update, false, 0, rounds);
    Measured masked = round(work.resolve("masked"), server, partyFiles, specs, update, true, 0, rounds);
    int killed = (int) Math.round(parties * dropout);
    Measured dropped = round(work.resolve("dropped"), server, partyFiles, specs, update, true, killed, 1);
    report("plain FedAvg", plain, plain);
    report("SecAgg+", masked, plain);
    report("SecAgg+, " + killed + " killed after key sharing", dropped, plain);
    if (rounds > 1) {
      double plainSum = 0;
      double maskedSum = 0;
      for (int r = 0; r < rounds; r++) {
        double p = plain.records().get(r).durationSeconds();
        double m = masked.records().get(r).durationSeconds();
        plainSum += p;
        maskedSum += m;
        System.out.printf(Locale.ROOT, "round %d (server's records): plain %.2f s, SecAgg+ %.2f s, ratio %.2f%n", r + 1,
            p, m, m / p);
      }
      System.out.printf(Locale.ROOT, "ratio SecAgg+ / FedAvg round (same run, %s, %d rounds after %d warm-up rounds, "
          + "their summed durations): %.2f (goal <= 2)%n", sharePath, rounds, warmUpRounds, maskedSum / plainSum);
    } else {
      System.out.printf(Locale.ROOT, "ratio SecAgg+ / FedAvg round (same run, %s, after %d warm-up rounds): %.2f "
          + "(goal <= 2)%n", sharePath, warmUpRounds, masked.wallSeconds() / plain.wallSeconds());
    }
    System.out.printf(Locale.ROOT, "recovery: round with %d dropped / without = %.2f (aggregator CPU %.2f), "
            + "ratio to FedAvg %.2f%n", killed, dropped.wallSeconds() / masked.wallSeconds(),
        dropped.serverCpuSeconds() / masked.serverCpuSeconds(), dropped.wallSeconds() / plain.wallSeconds());
    System.out.printf(Locale.ROOT, "load average at the end %.1f%n", BenchMain.loadAverage()[0]);
    return 0;
  }

  private void report(String what, Measured m, Measured plain) {
    System.out.printf(Locale.ROOT, "%s: round %.2f s (server's record %.2f s), ratio to plain %.2f; aggregator CPU "
            + "%.2f s, ratio %.2f%s%n", what, m.wallSeconds(), m.recordSeconds(), m.wallSeconds() / plain.wallSeconds(),
        m.serverCpuSeconds(), m.serverCpuSeconds() / plain.serverCpuSeconds(),
        (m.routes() == null ? "" : "; shares " + m.routes().describe() + " (round 1's status)")
            + m.deliveries().describe(m.senders()));
    System.out.printf(Locale.ROOT, "%s: %s%n", what, m.cpu().describe(parties));
  }

  private Measured round(Path state, TlsFiles serverFiles, List<TlsFiles> partyFiles, List<TensorSpec> specs,
      float[][] update, boolean secure, int killed, int jobRounds) throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    Turns turns = new Turns(new Semaphore(maskers), new Semaphore(uploaders), new Semaphore(senders));
    Deliveries deliveries = new Deliveries();
    List<PeerChannel> peers = new ArrayList<>();
    try (BenchAggregator aggregator = new BenchAggregator(state, serverFiles, partyFiles, model, jobRounds, false,
        // the killed parties' updates never arrive: the round needs only the survivors; but it starts only
        // once all have connected (the join grace), or it would start with the first n - killed of them
        // the share phase lasts a fifth of the round timeout: 100 parties delivering --senders at a time on 2 loaded
        // cores take minutes, which parties of their own machines do in a second
        b -> secure ? b.secureAggregation(100.0).minParties(partyFiles.size() - killed).joinGrace(Duration.ofMinutes(10))
            .roundTimeout(Duration.ofMinutes(30)) : b)) {
      List<FederationSession> sessions = new ArrayList<>();
      for (int p = 0; p < aggregator.channels.size(); p++) {
        FederationSession session = new FederationSession(aggregator.channels.get(p),
            FederationSession.Deadlines.defaults());
        if (secure && sharePath == SharePath.peer) {
          PeerChannel peer = peerChannel(partyFiles.get(p), Pki.partyIdentity(p));
          peers.add(peer);
          session.announcePeer(peer::announce);
        }
        session.join(100);
        session.openRounds();
        sessions.add(session);
      }
      List<TrainRequest> trains = new ArrayList<>();
      for (FederationSession session : sessions) {
        trains.add(nextTrain(session, 1));
      }
      long started = System.nanoTime();
      long cpuFrom = CpuClock.threads(SecAggRoundBench::serverThread);
      long processFrom = CpuClock.process();
      long jitFrom = CpuClock.jitCompilers();
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < sessions.size(); p++) {
        FederationSession session = sessions.get(p);
        TrainRequest first = trains.get(p);
        ManagedChannel channel = aggregator.channels.get(p);
        boolean dies = p < killed;
        RoundKeyBinding binding = bindings.get(p);
        PeerChannel peer = peers.isEmpty() ? null : peers.get(p);
        done.add(pool.submit(() -> {
          TrainRequest train = first;
          for (int r = 1; r <= jobRounds; r++) {
            if (r > 1) {
              train = nextTrain(session, r);
            }
            if (!partyRound(session, train, binding, peer, channel, dies, specs, update, secure, turns,
                deliveries)) {
              return null;
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(30L * jobRounds, TimeUnit.MINUTES);
      }
      aggregator.job.get(30L * jobRounds, TimeUnit.MINUTES);
      long cpuTo = CpuClock.threads(SecAggRoundBench::serverThread);
      CpuSplit cpu = new CpuSplit((CpuClock.process() - processFrom) / 1e9, (cpuTo - cpuFrom) / 1e9,
          (CpuClock.jitCompilers() - jitFrom) / 1e9);
      double wall = (System.nanoTime() - started) / 1e9;
      requireMeanOf(aggregator.coordinator.globalModel(), update, secure ? killed : 0);
      List<RoundRecord> records = aggregator.coordinator.status().rounds();
      RoundRecord record = records.get(0);
      deliveries.resumed(peers.stream().mapToLong(peer -> peer.endpoint().resumedSessions()).sum());
      // one round: the bench's wall time of it (as before); more: the server's record of round 1
      return new Measured(jobRounds == 1 ? wall : record.durationSeconds(), (cpuTo - cpuFrom) / 1e9,
          record.durationSeconds(), record.shareRoutes(), deliveries, senders, List.copyOf(records), cpu);
    } finally {
      pool.shutdownNow();
      for (PeerChannel peer : peers) {
        peer.close();
      }
    }
  }

  /** The TrainRequest of {@code round}, the next the party's Rounds stream brings. */
  private static TrainRequest nextTrain(FederationSession session, int round) throws InterruptedException {
    while (true) {
      FederationSession.Incoming in = session.nextIncoming(Duration.ofMinutes(30));
      if (in instanceof FederationSession.Incoming.Event event && event.event().hasTrain()
          && event.event().getTrain().getRound() == round) {
        return event.event().getTrain();
      }
      if (in == null || in instanceof FederationSession.Incoming.Ended) {
        throw new IllegalStateException("no TrainRequest for round " + round + ": " + in);
      }
    }
  }

  /** How many in-process parties mask, upload and deliver shares at once (they share this machine's cores). */
  record Turns(Semaphore masking, Semaphore uploading, Semaphore sending) {}

  /** One party's part of one round, as PartyRunner does it; false when the party dies (killed after sharing keys). */
  private boolean partyRound(FederationSession session, TrainRequest train, RoundKeyBinding binding, PeerChannel peer,
      ManagedChannel channel, boolean dies, List<TensorSpec> specs, float[][] update, boolean secure, Turns turns,
      Deliveries deliveries) throws Exception {
    if (!secure) {
      turns.uploading().acquire();
      try {
        session.submitUpdate(UpdateHeader.newBuilder().setRound(train.getRound()).setNumSamples(100).build(),
            specs, update);
      } finally {
        turns.uploading().release();
      }
      return true;
    }
    // as PartyRunner: the round's roster first, then the courier of the round (relay only without a peer channel)
    if (peer != null) {
      peer.onRound(train);
    }
    ShareCourier courier = takingTurns(PeerShareCourier.forRound(peer, train), turns.sending(), deliveries);
    SecureRoundClient client = session.openMaskedRound(train, binding, courier);
    client.shareKeys();
    if (dies) {
      channel.shutdownNow();
      if (peer != null) {
        peer.close();
      }
      return false;
    }
    SecureRoundClient.MaskedInput masked;
    turns.masking().acquire();
    try {
      masked = client.maskedInput(update, null);
    } finally {
      turns.masking().release();
    }
    turns.uploading().acquire();
    try {
      client.sendMaskedInput(masked, 100, java.util.Map.of());
    } finally {
      turns.uploading().release();
    }
    client.finish();
    return true;
  }

  /**
   * The party's courier, delivering only while it holds one of the {@code turns}: the parties share this machine's
   * cores (a party of its own machine delivers at once).
   */
  private static ShareCourier takingTurns(ShareCourier courier, Semaphore turns, Deliveries deliveries) {
    if (courier == ShareCourier.RELAY_ONLY) {
      return courier;
    }
    return new ShareCourier() {
      @Override
      public java.util.Map<Integer, String> deliver(List<dev.flotilla.protocol.v1.SecAggEncryptedShare> shares) {
        turns.acquireUninterruptibly();
        long started = System.nanoTime();
        try {
          return courier.deliver(shares);
        } finally {
          deliveries.add(System.nanoTime() - started, shares.size());
          turns.release();
        }
      }

      @Override
      public java.util.Optional<dev.flotilla.protocol.v1.SecAggEncryptedShare> collect(int from) {
        return courier.collect(from);
      }
    };
  }

  /**
   * The party's peer channel as {@code flotilla party --peer-port 0} starts it (PeerChannels), on loopback:
   * its endpoint with its own certificate, announced as 127.0.0.1:port under its party host.
   */
  private static PeerChannel peerChannel(TlsFiles files, dev.flotilla.certs.Identity self) throws java.io.IOException {
    PeerEndpoint endpoint = PeerEndpoint.start(new InetSocketAddress("127.0.0.1", 0), files, self);
    return new PeerChannel(endpoint, "127.0.0.1:" + endpoint.port(), self.partyHost(), new PeerDialer(files, self));
  }

  /**
   * Every party sent the same update, so the survivors' weighted mean is that update: the round's
   * model must equal it (to the fixed-point resolution of the masked sum), or the figure is not counted.
   */
  private static void requireMeanOf(dev.flotilla.server.model.GlobalModel model, float[][] update, int killed) {
    double worst = 0;
    for (int t = 0; t < update.length; t++) {
      float[] got = new float[update[t].length];
      model.read(t, 0, got, 0, got.length);
      for (int i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i] - update[t][i]));
      }
    }
    System.out.printf(Locale.ROOT, "round with %d killed: model version %d, largest difference to the survivors' mean "
        + "%.2e%n", killed, model.version(), worst);
    if (!(worst <= 1e-4)) {
      throw new IllegalStateException("the round's model differs from the survivors' mean by " + worst);
    }
  }

  /** The aggregator's threads (as ProtocolTimeBench names them). */
  private static boolean serverThread(String name) {
    return name.startsWith("grpc-call") || name.startsWith("flotilla-") || name.startsWith("state-writer")
        || name.startsWith("bench-round-loo");
  }

  private static float[][] update(List<TensorSpec> specs) {
    Random random = new Random(1);
    float[][] update = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      update[t] = new float[specs.get(t).numElements()];
      for (int i = 0; i < update[t].length; i++) {
        update[t][i] = (float) (random.nextGaussian() * 0.1);
      }
    }
    return update;
  }
}
