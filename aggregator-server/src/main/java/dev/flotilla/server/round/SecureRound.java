package dev.flotilla.server.round;

import dev.flotilla.protocol.secagg.DistributedNoise;
import dev.flotilla.protocol.secagg.FixedPoint;
import dev.flotilla.protocol.secagg.SecAggAggregator;
import dev.flotilla.protocol.secagg.SecAggException;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.SecAggAssignment;
import dev.flotilla.protocol.v1.SecAggDistributedNoise;
import dev.flotilla.protocol.v1.SecAggDone;
import dev.flotilla.protocol.v1.SecAggPartyMessage;
import dev.flotilla.protocol.v1.SecAggServerMessage;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aggregator's driver of one SecAgg+ round attempt over the parties' MaskedRound streams: it
 * takes each party's messages in turn (keys, shares, masked input, signature, revealed shares),
 * closes a phase when every party still expected has answered or is gone, or at the phase's
 * deadline, and sends each party what the next phase needs. The protocol itself is {@link
 * SecAggAggregator}'s; this class only carries it over gRPC, so it never holds an individual update:
 * masked chunks fold into the modular sum as they arrive. A hostile message is refused with
 * INVALID_ARGUMENT and its reason, its sender counts as dropped, and the round goes on.
 *
 * <p>Locking: its own monitor guards it and every send on the streams (so a stream never sees two
 * messages at once); it calls {@code changed} (which takes the job's lock) only outside its monitor.
 */
public final class SecureRound {

  private static final Logger log = LoggerFactory.getLogger(SecureRound.class);

  private enum Phase { KEYS, SHARES, MASKED, CONSISTENCY, UNMASK, DONE, FAILED }

  /** What a party sent with its masked input, kept for the round's record (never its values). */
  record Contribution(long samples, Map<String, Double> metrics) {}

  private final String jobId;
  private final Round round;
  private final SecAggParams params;
  private final SecAggAggregator aggregator;
  private final FixedPoint fixedPoint;
  private final Map<String, Integer> indexOf = new LinkedHashMap<>();
  private final String[] names;
  private final double[] weights;
  /** The distributed-DP noise of the round, or null for a round without. */
  private final SecAggDistributedNoise noise;
  private final Duration phaseTimeout;
  private final Runnable changed;
  private final java.time.Clock clock;
  private final Map<Integer, StreamObserver<SecAggServerMessage>> streams = new HashMap<>();
  private final TreeSet<Integer> gone = new TreeSet<>();
  /** Who is expected to answer in the current phase, and who has. */
  private TreeSet<Integer> expected = new TreeSet<>();
  private final TreeSet<Integer> answered = new TreeSet<>();
  private final Map<Integer, Contribution> contributions = new TreeMap<>();
  private final Map<Integer, Long> maskedBytes = new HashMap<>();
  private final int modelValues;
  private Phase phase = Phase.KEYS;
  private Instant phaseDeadline;
  private String failure;
  /** How the shares travelled, counted when the share phase closed; null before. */
  private dev.flotilla.protocol.status.ShareRoutes shareRoutes;
  private int[] sum;
  private long bytesIn;

  /**
   * A round over {@code roster} (names with their announced samples, in roster order), model of
   * {@code modelValues} values; the short phases wait at most {@code phaseTimeout} each, the masked
   * input until the round's deadline.
   */
  SecureRound(String jobId, Round round, Map<String, Long> roster, int modelValues, double clipRange,
      Duration phaseTimeout, java.time.Clock clock, Runnable changed) {
    this(jobId, round, roster, modelValues, clipRange, null, phaseTimeout, clock, changed);
  }

  /**
   * A distributed-DP round when {@code privacy} is given (its --dp-mode distributed): every party weighs
   * 1 / roster size and sends its clipped difference plus its noise share (see DistributedNoise).
   */
  SecureRound(String jobId, Round round, Map<String, Long> roster, int modelValues, double clipRange,
      dev.flotilla.server.privacy.PrivacyBudget privacy, Duration phaseTimeout, java.time.Clock clock,
      Runnable changed) {
    this.clock = clock;
    this.jobId = jobId;
    this.round = round;
    byte[] seed = new byte[SecAggParams.SEED_BYTES];
    new SecureRandom().nextBytes(seed);
    this.params = SecAggParams.withDefaults(seed, roster.size(), clipRange);
    this.aggregator = new SecAggAggregator(params, modelValues);
    this.fixedPoint = new FixedPoint(clipRange);
    this.modelValues = modelValues;
    this.names = roster.keySet().toArray(String[]::new);
    this.weights = new double[names.length];
    double total = roster.values().stream().mapToDouble(Long::doubleValue).sum();
    for (int i = 0; i < names.length; i++) {
      indexOf.put(names[i], i);
      // DP-FedAvg: every party weighs the same, whatever its samples, so one party moves the sum by at most S
      weights[i] = privacy != null ? 1.0 / names.length : roster.get(names[i]) / total;
    }
    this.noise = privacy == null ? null : DistributedNoise.of(privacy.noiseMultiplier(), privacy.clipNorm(),
        DistributedNoise.minSurvivors(names.length, privacy.dropoutTolerance()));
    this.phaseTimeout = phaseTimeout;
    this.changed = changed;
    for (int i = 0; i < names.length; i++) {
      expected.add(i);
    }
    this.phaseDeadline = clock.instant().plus(phaseTimeout);
  }

  /** Parties that pad a distributed-DP sample: their assignment asks for their noise share only. */
  private Set<String> noiseOnly = Set.of();

  void noiseOnly(Set<String> parties) {
    if (!parties.isEmpty() && noise == null) {
      throw new IllegalArgumentException("only a distributed-DP round has noise-only parties");
    }
    noiseOnly = Set.copyOf(parties);
  }

  boolean isNoiseOnly(String party) {
    return noiseOnly.contains(party);
  }

  /** What the TrainRequest of {@code party} carries. */
  SecAggAssignment assignment(String party) {
    int index = indexOf.get(party);
    SecAggAssignment.Builder assignment = SecAggAssignment.newBuilder()
        // the names let each party check whose certificate must sign each index's keys (RoundKeyBinding)
        .setSetup(params.toSetup().toBuilder().addAllPartyNames(java.util.List.of(names))).setParty(index)
        .setWeight(weights[index]);
    if (noise != null) {
      assignment.setDistributedNoise(noiseOnly.contains(party) ? noise.toBuilder().setNoiseOnly(true).build() : noise);
    }
    for (int neighbour : aggregator.neighboursOf(index)) {
      assignment.putNeighbourNames(neighbour, names[neighbour]);
    }
    return assignment.build();
  }

  Round round() {
    return round;
  }

  boolean isRosterMember(String party) {
    return indexOf.containsKey(party);
  }

  /** Attaches a party's MaskedRound stream (its first message said this round and attempt). */
  public synchronized boolean attach(String party, StreamObserver<SecAggServerMessage> stream) {
    int index = indexOf.get(party);
    if (streams.containsKey(index) || gone.contains(index) || phase != Phase.KEYS) {
      stream.onError(Status.FAILED_PRECONDITION.withDescription("party '" + party + "' cannot open a MaskedRound stream "
          + "for round " + round.number() + " attempt " + round.attempt() + ": "
          + (phase != Phase.KEYS ? "its key round is over" : "it has had one")).asRuntimeException());
      return false;
    }
    streams.put(index, stream);
    return true;
  }

  /** A message of {@code party}'s stream (the hello's keys included). */
  public void onMessage(String party, SecAggPartyMessage message) {
    int index = indexOf.get(party);
    if (message.getPayloadCase() == SecAggPartyMessage.PayloadCase.MASKED) {
      foldMasked(index, message.getMasked().asReadOnlyByteBuffer());
      return;
    }
    boolean progressed;
    synchronized (this) {
      if (gone.contains(index)) {
        return;
      }
      try {
        accept(index, message);
      } catch (SecAggException e) {
        refuse(index, e.getMessage());
      }
      progressed = closeWhileComplete();
    }
    if (progressed) {
      changed.run();
    }
  }

  /** Refuses {@code party} (it counts as dropped, its stream ends with {@code reason}); the round goes on. */
  public void refuse(String party, String reason) {
    int index = indexOf.get(party);
    boolean progressed;
    synchronized (this) {
      if (gone.contains(index) || isOver()) {
        return;
      }
      refuse(index, reason);
      progressed = closeWhileComplete();
    }
    if (progressed) {
      changed.run();
    }
  }

  /** The party's stream ended or failed: it counts as dropped from here on. */
  public void onGone(String party, String why) {
    int index = indexOf.get(party);
    boolean progressed;
    synchronized (this) {
      if (!gone.add(index) || phase == Phase.DONE || phase == Phase.FAILED) {
        return;
      }
      streams.remove(index);
      log.info("job {}: round {}: party {} left the masked round at phase {}: {}", jobId, round.number(), party,
          phase, why);
      progressed = closeWhileComplete();
    }
    if (progressed) {
      changed.run();
    }
  }

  /**
   * The round loop's clock: parties whose Rounds stream is gone count as dropped, and a phase past its
   * deadline closes with whoever answered. Returns whether the round is over (done or failed).
   */
  boolean tick(Instant now, Predicate<String> connected) {
    synchronized (this) {
      for (int i = 0; i < names.length; i++) {
        if (!connected.test(names[i]) && gone.add(i)) {
          StreamObserver<SecAggServerMessage> stream = streams.remove(i);
          if (stream != null) {
            try {
              stream.onError(Status.CANCELLED.withDescription("the party's Rounds stream is gone").asRuntimeException());
            } catch (RuntimeException e) {
              // cancelled by the party meanwhile
            }
          }
        }
      }
      Instant deadline = phase == Phase.MASKED ? round.deadline() : phaseDeadline;
      if (!isOver() && !now.isBefore(deadline)) {
        log.info("job {}: round {}: masked round phase {} timed out without {}", jobId, round.number(), phase,
            missing());
        closePhase(now);
      }
      closeWhileComplete();
      return isOver();
    }
  }

  synchronized boolean isOver() {
    return phase == Phase.DONE || phase == Phase.FAILED;
  }

  /** Why the round failed, or null. */
  synchronized String failure() {
    return failure;
  }

  /** After a round that is done: the FedAvg mean of the survivors' updates. */
  synchronized float[] mean() {
    double total = 0;
    for (int survivor : aggregator.survivors()) {
      total += weights[survivor];
    }
    return fixedPoint.decodeMean(sum, Math.min(1.0, total));
  }

  /**
   * After a distributed-DP round that is done: the sum of the survivors' clipped differences with their noise
   * shares (each was encoded with weight 1 / roster size).
   */
  synchronized float[] noisedSum() {
    return fixedPoint.decodeSum(sum, 1.0 / names.length);
  }

  /** After a distributed-DP round that is done: the noise multiplier its unmasked sum carries. */
  synchronized double presentNoiseMultiplier() {
    return DistributedNoise.presentMultiplier(noise, aggregator.survivors().size());
  }

  boolean distributedNoise() {
    return noise != null;
  }

  /** After a round that is done: each survivor's samples and metrics, by name. */
  synchronized Map<String, Contribution> contributions() {
    Map<String, Contribution> out = new LinkedHashMap<>();
    for (int survivor : aggregator.survivors()) {
      out.put(names[survivor], contributions.get(survivor));
    }
    return out;
  }

  /** How the round's shares travelled (the round's status record), or null before the share phase closed. */
  synchronized dev.flotilla.protocol.status.ShareRoutes shareRoutes() {
    return shareRoutes;
  }

  synchronized long bytesIn() {
    return bytesIn;
  }

  private void foldMasked(int index, java.nio.ByteBuffer chunk) {
    String refusal = null;
    synchronized (this) {
      if (gone.contains(index)) {
        return;
      }
      if (phase != Phase.MASKED || !contributions.containsKey(index)) {
        refusal = "masked values came " + (phase != Phase.MASKED ? "at phase " + phase : "before their header");
      } else if (!chunk.hasRemaining() || chunk.remaining() > TensorChunks.MAX_CHUNK_BYTES) {
        refusal = "a masked chunk of " + chunk.remaining() + " bytes; chunks are 1 to " + TensorChunks.MAX_CHUNK_BYTES;
      }
      if (refusal != null) {
        refuse(index, refusal);
        return;
      }
      bytesIn += chunk.remaining();
    }
    try {
      // the fold is the core's (synchronized there), outside this monitor so phases go on meanwhile
      aggregator.foldMasked(index, chunk);
    } catch (SecAggException e) {
      synchronized (this) {
        refuse(index, e.getMessage());
      }
      return;
    }
    boolean progressed;
    synchronized (this) {
      long received = maskedBytes.merge(index, (long) chunk.remaining(), Long::sum);
      if (received == 4L * modelValues) {
        answered.add(index);
      }
      progressed = closeWhileComplete();
    }
    if (progressed) {
      changed.run();
    }
  }

  private void accept(int index, SecAggPartyMessage message) {
    switch (message.getPayloadCase()) {
      case HELLO -> {
        expectPhase(Phase.KEYS, index, "advertise keys");
        aggregator.acceptKeys(index, message.getHello().getKeys());
      }
      case SHARES -> {
        expectPhase(Phase.SHARES, index, "share keys");
        aggregator.acceptShares(index, message.getShares());
      }
      case MASKED_HEADER -> {
        expectPhase(Phase.MASKED, index, "send a masked input");
        if (!expected.contains(index) || contributions.containsKey(index)) {
          throw new SecAggException("party " + index + " sent a masked input header "
              + (contributions.containsKey(index) ? "twice" : "but shared no keys"));
        }
        var header = message.getMaskedHeader();
        if (header.getNumSamples() < 1 || header.getMetricsCount() > 16) {
          throw new SecAggException("party " + index + "'s masked input header claims " + header.getNumSamples()
              + " samples and " + header.getMetricsCount() + " metrics (at least 1 sample, at most 16 metrics)");
        }
        aggregator.acceptShareReceipt(index, header.getDirectSharesFromList());
        contributions.put(index, new Contribution(header.getNumSamples(), header.getMetricsMap()));
        return;
      }
      case SIGNATURE -> {
        expectPhase(Phase.CONSISTENCY, index, "sign the survivor list");
        if (message.getSignature().getParty() != index) {
          throw new SecAggException("party " + index + " sent a signature marked as party "
              + message.getSignature().getParty() + "'s");
        }
        aggregator.acceptSignature(index, message.getSignature().getSignature().toByteArray());
      }
      case UNMASK -> {
        expectPhase(Phase.UNMASK, index, "reveal shares");
        aggregator.acceptUnmask(index, message.getUnmask());
      }
      default -> throw new SecAggException("party " + index + " sent an empty message");
    }
    answered.add(index);
  }

  private void expectPhase(Phase wanted, int index, String action) {
    if (phase != wanted) {
      throw new SecAggException("party " + index + " cannot " + action + " at phase " + phase);
    }
    if (answered.contains(index)) {
      throw new SecAggException("party " + index + " answered phase " + phase + " twice");
    }
  }

  private void refuse(int index, String reason) {
    log.warn("job {}: round {}: refused party {} ({}) in the masked round: {}; it counts as dropped", jobId,
        round.number(), names[index], index, reason);
    gone.add(index);
    StreamObserver<SecAggServerMessage> stream = streams.remove(index);
    if (stream != null) {
      try {
        stream.onError(Status.INVALID_ARGUMENT.withDescription(reason).asRuntimeException());
      } catch (RuntimeException e) {
        // cancelled by the party meanwhile
      }
    }
  }

  /** Closes phases while everyone expected has answered or is gone; whether any closed. */
  private boolean closeWhileComplete() {
    boolean closed = false;
    while (!isOver() && complete()) {
      closePhase(null);
      closed = true;
    }
    return closed || isOver();
  }

  private boolean complete() {
    for (int party : expected) {
      if (!answered.contains(party) && !gone.contains(party)) {
        return false;
      }
    }
    return true;
  }

  private String missing() {
    List<String> out = new ArrayList<>();
    for (int party : expected) {
      if (!answered.contains(party) && !gone.contains(party)) {
        out.add(names[party]);
      }
    }
    return out.toString();
  }

  private void closePhase(Instant now) {
    try {
      switch (phase) {
        case KEYS -> {
          aggregator.closeKeys();
          TreeSet<Integer> stay = new TreeSet<>(answered);
          stay.removeAll(gone);
          advance(Phase.SHARES, stay, now);
          for (int party : stay) {
            send(party, SecAggServerMessage.newBuilder().setRoster(aggregator.rosterFor(party)).build());
          }
        }
        case SHARES -> {
          aggregator.closeShares();
          TreeSet<Integer> shared = new TreeSet<>(answered);
          shared.removeAll(gone);
          var routes = aggregator.shareRoutes();
          shareRoutes = routes;
          log.info("job {}: round {} (attempt {}): shares of {} parties: {} party to party, {} by the aggregator's "
              + "relay", jobId, round.number(), round.attempt(), shared.size(), routes.direct(), routes.relayed());
          advance(Phase.MASKED, shared, now);
          for (int party : shared) {
            send(party, SecAggServerMessage.newBuilder().setRelayed(SecAggShareBundle.newBuilder()
                .addAllShares(aggregator.sharesFor(party))
                .addAllSharedNeighbours(aggregator.sharedNeighboursOf(party))).build());
          }
        }
        case MASKED -> {
          SecAggUnmaskRequest lists = aggregator.closeInputs();
          if (noise != null && lists.getSurvivorsCount() < noise.getMinSurvivors()) {
            // the parties would refuse to sign these lists: their noise shares were sized for more survivors
            throw new SecAggException("the round fails: " + lists.getSurvivorsCount() + " of " + names.length
                + " parties sent masked inputs, fewer than the " + noise.getMinSurvivors() + " the distributed noise "
                + "shares were sized for (--dp-dropout-tolerance); the sum is not unmasked");
          }
          log.info("job {}: round {}: masked inputs from {} parties, dropped after sharing keys: {}", jobId,
              round.number(), lists.getSurvivorsCount(), namesOf(lists.getDroppedList()));
          advance(Phase.CONSISTENCY, new TreeSet<>(lists.getSurvivorsList()), now);
          for (int party : lists.getSurvivorsList()) {
            send(party, SecAggServerMessage.newBuilder().setConsistencyCheck(lists).build());
          }
        }
        case CONSISTENCY -> {
          SecAggUnmaskRequest signed = aggregator.closeConsistency();
          advance(Phase.UNMASK, new TreeSet<>(aggregator.signers()), now);
          for (int party : aggregator.signers()) {
            send(party, SecAggServerMessage.newBuilder().setUnmask(signed).build());
          }
        }
        case UNMASK -> {
          sum = aggregator.unmaskedSum();
          phase = Phase.DONE;
          SecAggServerMessage done = SecAggServerMessage.newBuilder()
              .setDone(SecAggDone.newBuilder().setSurvivors(aggregator.survivors().size())).build();
          endAll(stream -> {
            stream.onNext(done);
            stream.onCompleted();
          });
        }
        default -> throw new IllegalStateException("no phase to close at " + phase);
      }
    } catch (SecAggException e) {
      fail(e.getMessage());
    }
  }

  private void advance(Phase nextPhase, TreeSet<Integer> nextExpected, Instant now) {
    phase = nextPhase;
    expected = nextExpected;
    answered.clear();
    phaseDeadline = (now != null ? now : clock.instant()).plus(phaseTimeout);
  }

  private void send(int party, SecAggServerMessage message) {
    StreamObserver<SecAggServerMessage> stream = streams.get(party);
    if (stream != null && !gone.contains(party)) {
      try {
        stream.onNext(message);
      } catch (RuntimeException e) {
        // its call was cancelled meanwhile: it counts as dropped
        gone.add(party);
        streams.remove(party);
      }
    }
  }

  /** Ends every open stream with {@code end} (a call cancelled meanwhile is skipped). */
  private void endAll(java.util.function.Consumer<StreamObserver<SecAggServerMessage>> end) {
    for (var stream : streams.values()) {
      try {
        end.accept(stream);
      } catch (RuntimeException e) {
        // cancelled by the party meanwhile
      }
    }
    streams.clear();
  }

  private void fail(String why) {
    failure = why;
    phase = Phase.FAILED;
    log.warn("job {}: round {} attempt {}: the masked round failed: {}", jobId, round.number(), round.attempt(), why);
    Status aborted = Status.ABORTED.withDescription(why);
    endAll(stream -> stream.onError(aborted.asRuntimeException()));
  }

  private List<String> namesOf(List<Integer> indices) {
    return indices.stream().map(i -> names[i]).toList();
  }
}
