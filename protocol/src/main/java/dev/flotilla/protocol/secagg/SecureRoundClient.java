package dev.flotilla.protocol.secagg;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.SecAggAssignment;
import dev.flotilla.protocol.v1.SecAggHello;
import dev.flotilla.protocol.v1.SecAggMaskedHeader;
import dev.flotilla.protocol.v1.SecAggPartyMessage;
import dev.flotilla.protocol.v1.SecAggServerMessage;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import dev.flotilla.protocol.v1.SecAggSignature;
import dev.flotilla.protocol.v1.SecureAggregationGrpc;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A party's side of one masked round (--secure-aggregation) over its MaskedRound stream, in two
 * calls: {@link #shareKeys} before training (advertise keys, then Shamir-share the self-mask seed and
 * mask key with the neighbours, sealed end to end: over the peer channel ({@link ShareCourier}), and by
 * the aggregator's relay to the neighbours it cannot reach), {@link #submit} after
 * it (mask the weighted fixed-point update and stream it, sign the survivor list, reveal shares). Every
 * message of the aggregator is checked by {@link SecAggParty} before the party acts on it, and every
 * party's round keys against its certificate ({@link RoundKeyBinding}); a party never sends its update in
 * the clear. Masked chunks go out only while the transport is ready.
 */
public final class SecureRoundClient implements AutoCloseable {

  private static final int CHUNK_VALUES = TensorChunks.MAX_CHUNK_BYTES / 4;

  private final SecAggParams params;
  private final SecAggAssignment assignment;
  private final SecAggParty party;
  /** Null for a party without a TLS identity (in-process): it neither binds its keys nor checks others'. */
  private final RoundKeyBinding binding;
  private final RoundKeyBinding.Round round;
  private final Duration phaseWait;
  private final BlockingQueue<Object> incoming = new LinkedBlockingQueue<>();
  private final Object ready = new Object();
  private ClientCallStreamObserver<SecAggPartyMessage> stream;
  private final ShareCourier courier;
  /** The neighbours' shares this party holds: relayed, and delivered over the peer channel. */
  private List<dev.flotilla.protocol.v1.SecAggEncryptedShare> held;
  /** The neighbours whose shares came over the peer channel: this party's share receipt. */
  private final List<Integer> directFrom = new java.util.ArrayList<>();
  private boolean ended;

  /**
   * Opens the MaskedRound stream of {@code request} (which carries the assignment) on {@code channel}. The
   * party's round keys are bound to its TLS identity with {@code binding}, and every other party's are checked
   * with it ({@link RoundKeyBinding}; null only for a party without a TLS identity, in-process); shares go to the
   * neighbours by {@code courier} where it can deliver them ({@link ShareCourier#RELAY_ONLY}: all by the relay).
   */
  public SecureRoundClient(Channel channel, TrainRequest request, Duration callDeadline, Duration phaseWait,
      RoundKeyBinding binding, ShareCourier courier) {
    this.courier = courier;
    this.assignment = request.getSecureAggregation();
    this.params = SecAggParams.from(assignment.getSetup());
    this.party = new SecAggParty(params, assignment.getParty(), new SecureRandom());
    if (assignment.hasDistributedNoise()) {
      party.requireSurvivors(DistributedNoise.check(assignment.getDistributedNoise(), params.rosterSize())
          .getMinSurvivors());
    }
    this.binding = binding;
    this.round = new RoundKeyBinding.Round(params.roundSeed(), request.getRound(), request.getAttempt(),
        assignment.getSetup().getPartyNamesList());
    if (binding != null && round.partyNames().size() != params.rosterSize()) {
      throw new SecAggException("the aggregator names " + round.partyNames().size() + " parties for a roster of "
          + params.rosterSize() + " (an aggregator without " + SecAggParams.CAPABILITY + "?); no key of this round"
          + " can be checked, so this party refuses it");
    }
    var keys = binding == null ? party.advertiseKeys() : binding.bind(party.advertiseKeys(), round);
    this.phaseWait = phaseWait;
    SecureAggregationGrpc.newStub(channel).withDeadlineAfter(callDeadline.toMillis(), TimeUnit.MILLISECONDS)
        .maskedRound(new ClientResponseObserver<SecAggPartyMessage, SecAggServerMessage>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<SecAggPartyMessage> requestStream) {
            stream = requestStream;
            requestStream.setOnReadyHandler(() -> {
              synchronized (ready) {
                ready.notifyAll();
              }
            });
          }

          @Override
          public void onNext(SecAggServerMessage message) {
            incoming.add(message);
          }

          @Override
          public void onError(Throwable t) {
            incoming.add(Status.fromThrowable(t));
            synchronized (ready) {
              ready.notifyAll();
            }
          }

          @Override
          public void onCompleted() {
            incoming.add(Status.UNAVAILABLE.withDescription("the aggregator ended the MaskedRound stream"));
          }
        });
    stream.onNext(SecAggPartyMessage.newBuilder().setHello(SecAggHello.newBuilder().setRound(request.getRound())
        .setAttempt(request.getAttempt()).setKeys(keys)).build());
  }

  /**
   * Rounds 0 and 1: waits for the key roster; delivers the sealed shares over the peer channel, and sends the
   * aggregator the ones it could not deliver (to relay) with the neighbours it did deliver to; waits for the
   * shares relayed to this party, then takes from the peer channel those of its neighbours that completed the
   * share round (every one of them delivered before telling the aggregator, so they are there by now).
   */
  public void shareKeys() throws InterruptedException {
    SecAggServerMessage roster = next(SecAggServerMessage.PayloadCase.ROSTER);
    var keys = binding == null ? roster.getRoster() : binding.verified(roster.getRoster(), round, party.neighbours());
    SecAggShareBundle sealed = party.shareKeys(keys);
    Map<Integer, String> undelivered = courier.deliver(sealed.getSharesList());
    SecAggShareBundle.Builder bundle = SecAggShareBundle.newBuilder();
    for (var share : sealed.getSharesList()) {
      if (undelivered.containsKey(share.getTo())) {
        bundle.addShares(share);
      } else {
        bundle.addDeliveredDirectly(share.getTo());
      }
    }
    send(SecAggPartyMessage.newBuilder().setShares(bundle).build());
    SecAggShareBundle relayed = next(SecAggServerMessage.PayloadCase.RELAYED).getRelayed();
    held = new java.util.ArrayList<>(relayed.getSharesList());
    java.util.Set<Integer> relayedFrom = new java.util.HashSet<>();
    relayed.getSharesList().forEach(share -> relayedFrom.add(share.getFrom()));
    if (relayed.getSharedNeighboursCount() > params.neighbours()) {
      throw new SecAggException("the aggregator named " + relayed.getSharedNeighboursCount() + " neighbours that "
          + "shared; this party has " + params.neighbours());
    }
    java.util.Set<Integer> neighbours = new java.util.HashSet<>();
    for (int n : party.neighbours()) {
      neighbours.add(n);
    }
    for (int from : relayed.getSharedNeighboursList()) {
      if (relayedFrom.contains(from) || !neighbours.contains(from) || directFrom.contains(from)) {
        continue;
      }
      courier.collect(from).filter(share -> share.getFrom() == from && share.getTo() == assignment.getParty())
          .ifPresent(share -> {
            held.add(share);
            directFrom.add(from);
          });
    }
  }

  /**
   * Rounds 2 to 4: {@link #sendMasked}, then {@link #finish}; returns how many parties' updates the sum holds.
   */
  public int submit(float[][] weights, long samples, Map<String, Double> metrics) throws InterruptedException {
    return submit(weights, null, samples, metrics);
  }

  /**
   * The same, for a round that may carry distributed DP noise ({@link #needsGlobalModel}): {@code base} is the
   * round's global model the party trained from (null when the round has no noise).
   */
  public int submit(float[][] weights, float[][] base, long samples, Map<String, Double> metrics)
      throws InterruptedException {
    sendMasked(weights, base, samples, metrics);
    return finish();
  }

  /**
   * Whether this party only pads a distributed-DP sample with its noise share (the assignment's noise_only): what it
   * would train is not in the sum, so it need not train ({@link #submitNoiseOnly}).
   */
  public boolean noiseOnly() {
    return assignment.hasDistributedNoise() && assignment.getDistributedNoise().getNoiseOnly();
  }

  /**
   * Rounds 2 to 4 of a noise-only party: its noise share alone, encoded as {@link #submit} encodes a trained
   * model (a zero difference from the round's global model {@code base}), with no samples of its own (the
   * header carries 1, the least it may; the aggregator counts a padding party's samples as 0).
   */
  public int submitNoiseOnly(float[][] base) throws InterruptedException {
    if (!noiseOnly()) {
      throw new SecAggException("this party's assignment asks for its update, not its noise share alone");
    }
    return submit(base, base, 1, Map.of());
  }

  /** Whether this round is a distributed-DP round, whose input is the difference from the round's global model. */
  public boolean needsGlobalModel() {
    return assignment.hasDistributedNoise();
  }

  /** Round 2: masks {@code weights} (every tensor, in layout order) and streams them as flow control allows. */
  public void sendMasked(float[][] weights, long samples, Map<String, Double> metrics) throws InterruptedException {
    sendMasked(weights, null, samples, metrics);
  }

  /**
   * Round 2 with the round's global model {@code base} (needed, and only used, in a distributed-DP round:
   * the input is then the clipped difference plus this party's noise share, {@link DistributedNoise}).
   */
  public void sendMasked(float[][] weights, float[][] base, long samples, Map<String, Double> metrics)
      throws InterruptedException {
    sendMaskedInput(maskedInput(weights, base), samples, metrics);
  }

  /**
   * Round 2's work before anything is sent: {@code weights} encoded as fixed-point integers and masked (with
   * {@code base} as in {@link #sendMasked(float[][], float[][], long, Map)}). A caller that masks on one thread and
   * streams on another ({@link #sendMaskedInput}) keeps its cores busy while an earlier input is on the wire.
   */
  public MaskedInput maskedInput(float[][] weights, float[][] base) {
    FixedPoint fixedPoint = new FixedPoint(params.clipRange());
    int[] masked;
    if (assignment.hasDistributedNoise()) {
      if (base == null) {
        throw new SecAggException("a distributed-DP round needs the round's global model to clip the update's "
            + "difference from it");
      }
      masked = DistributedNoise.encode(flatten(weights), flatten(base), assignment.getDistributedNoise(), fixedPoint,
          assignment.getWeight(), dev.flotilla.protocol.privacy.GaussianNoise.fresh());
    } else {
      masked = fixedPoint.encode(weights, assignment.getWeight());
    }
    party.maskInput(held, masked);
    return new MaskedInput(masked);
  }

  /** A masked input, made only by {@link #maskedInput}: nothing unmasked can be handed to {@link #sendMaskedInput}. */
  public static final class MaskedInput {
    private final int[] values;

    private MaskedInput(int[] values) {
      this.values = values;
    }
  }

  /** Round 2's sending: the {@link #maskedInput} {@code masked}, streamed as flow control allows. */
  public void sendMaskedInput(MaskedInput input, long samples, Map<String, Double> metrics)
      throws InterruptedException {
    int[] masked = input.values;
    send(SecAggPartyMessage.newBuilder().setMaskedHeader(SecAggMaskedHeader.newBuilder().setNumSamples(samples)
        .putAllMetrics(metrics).addAllDirectSharesFrom(directFrom)).build());
    for (int start = 0; start < masked.length; start += CHUNK_VALUES) {
      int count = Math.min(CHUNK_VALUES, masked.length - start);
      ByteBuffer chunk = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
      chunk.asIntBuffer().put(masked, start, count);
      awaitReady();
      // the chunk's array is this message's alone and never written again: wrapped, not copied
      send(SecAggPartyMessage.newBuilder().setMasked(UnsafeByteOperations.unsafeWrap(chunk.array())).build());
    }
  }

  /**
   * Rounds 3 and 4, once every party's masked input is in: signs the survivor list, reveals the shares
   * asked for; returns how many parties' updates the sum holds.
   */
  public int finish() throws InterruptedException {
    var lists = next(SecAggServerMessage.PayloadCase.CONSISTENCY_CHECK).getConsistencyCheck();
    send(SecAggPartyMessage.newBuilder().setSignature(SecAggSignature.newBuilder().setParty(assignment.getParty())
        .setSignature(ByteString.copyFrom(party.signSurvivors(lists)))).build());
    var unmask = next(SecAggServerMessage.PayloadCase.UNMASK).getUnmask();
    send(SecAggPartyMessage.newBuilder().setUnmask(party.unmask(unmask)).build());
    int survivors = next(SecAggServerMessage.PayloadCase.DONE).getDone().getSurvivors();
    ended = true;
    stream.onCompleted();
    return survivors;
  }

  private static float[] flatten(float[][] tensors) {
    int total = 0;
    for (float[] tensor : tensors) {
      total += tensor.length;
    }
    float[] values = new float[total];
    int offset = 0;
    for (float[] tensor : tensors) {
      System.arraycopy(tensor, 0, values, offset, tensor.length);
      offset += tensor.length;
    }
    return values;
  }

  private void send(SecAggPartyMessage message) {
    stream.onNext(message);
  }

  /** Waits (up to the phase wait) until the transport takes more, so at most a chunk or so is buffered. */
  private void awaitReady() throws InterruptedException {
    long end = System.nanoTime() + phaseWait.toNanos();
    synchronized (ready) {
      while (!stream.isReady() && incoming.isEmpty()) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw Status.DEADLINE_EXCEEDED.withDescription("the aggregator took no masked input for " + phaseWait)
              .asRuntimeException();
        }
        ready.wait(Math.max(1, left / 1_000_000));
      }
    }
    if (incoming.peek() instanceof Status status) {
      throw status.asRuntimeException();
    }
  }

  /** The aggregator's next message, which must be of {@code wanted}; its refusal or the stream's end is thrown. */
  private SecAggServerMessage next(SecAggServerMessage.PayloadCase wanted) throws InterruptedException {
    Object got = incoming.poll(phaseWait.toMillis(), TimeUnit.MILLISECONDS);
    if (got == null) {
      throw Status.DEADLINE_EXCEEDED.withDescription("no " + wanted + " from the aggregator within " + phaseWait)
          .asRuntimeException();
    }
    if (got instanceof Status status) {
      ended = true;
      throw status.asRuntimeException();
    }
    SecAggServerMessage message = (SecAggServerMessage) got;
    if (message.getPayloadCase() != wanted) {
      throw new SecAggException("the aggregator sent " + message.getPayloadCase() + " where " + wanted + " was due");
    }
    return message;
  }

  /** Cancels the stream unless the round ended (a party that stops here counts as dropped). */
  @Override
  public void close() {
    if (!ended) {
      ended = true;
      stream.cancel("the party left the masked round", null);
    }
  }
}
