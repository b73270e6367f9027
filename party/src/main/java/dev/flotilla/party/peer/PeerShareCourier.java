package dev.flotilla.party.peer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.protocol.secagg.ShareCourier;
import dev.flotilla.protocol.v1.ExchangeRequest;
import dev.flotilla.protocol.v1.PeerGrpc;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secure aggregation's shares over the peer channel, for one round attempt: each sealed share goes to
 * its neighbour's endpoint by {@code Peer.Exchange} (mutual TLS, the neighbour's party identity checked
 * in the handshake) under the topic {@code secagg/share/<attempt>}; what cannot be delivered (no
 * endpoint on the roster, DNS, refused, TLS, timeout, the peer's refusal) goes by the aggregator's relay,
 * and each such neighbour is logged with the reason. All deliveries run at once (a party has at most
 * 2 log2(n) neighbours), so silent peers cost one deadline, not one each; that deadline is a tenth of
 * what is left of the round ({@link #deliveryDeadline}), so it ends well within the aggregator's share
 * phase (a fifth of --round-timeout, at least 5 s) even with a short --round-timeout. Shares the neighbours delivered are taken from this
 * party's {@link PeerInbox}, where the sender is the identity of its connection.
 */
public final class PeerShareCourier implements ShareCourier {
  private static final Logger log = LoggerFactory.getLogger(PeerShareCourier.class);
  static final Duration MIN_DELIVERY_DEADLINE = Duration.ofSeconds(1);
  static final Duration MAX_DELIVERY_DEADLINE = Duration.ofSeconds(10);

  private final PeerDialer dialer;
  private final PeerInbox inbox;
  private final PeerRoster roster;
  private final int round;
  private final int attempt;
  private final Map<Integer, String> neighbourNames;
  private final Duration deliveryDeadline;

  PeerShareCourier(PeerDialer dialer, PeerInbox inbox, PeerRoster roster, int round, int attempt,
      Map<Integer, String> neighbourNames) {
    this(dialer, inbox, roster, round, attempt, neighbourNames, MAX_DELIVERY_DEADLINE);
  }

  PeerShareCourier(PeerDialer dialer, PeerInbox inbox, PeerRoster roster, int round, int attempt,
      Map<Integer, String> neighbourNames, Duration deliveryDeadline) {
    this.deliveryDeadline = deliveryDeadline;
    this.dialer = dialer;
    this.inbox = inbox;
    this.roster = roster;
    this.round = round;
    this.attempt = attempt;
    this.neighbourNames = Map.copyOf(neighbourNames);
  }

  /** The courier of {@code request}'s masked round; without a peer channel every share is relayed. */
  public static ShareCourier forRound(PeerChannel channel, TrainRequest request) {
    return forRound(channel, request, java.time.Clock.systemUTC());
  }

  /** The same, with the deadline of each delivery taken from the round's deadline as of {@code clock}. */
  public static ShareCourier forRound(PeerChannel channel, TrainRequest request, java.time.Clock clock) {
    if (channel == null) {
      return ShareCourier.RELAY_ONLY;
    }
    return new PeerShareCourier(channel.dialer(), channel.endpoint().inbox(), channel.roster(), request.getRound(),
        request.getAttempt(), request.getSecureAggregation().getNeighbourNamesMap(),
        deliveryDeadline(request.getDeadlineUnixMillis(), clock.millis()));
  }

  /**
   * How long one delivery may wait for a silent peer: a tenth of what is left until the round's deadline
   * ({@code --round-timeout} from the round's start; 0 when the aggregator set none), between
   * {@link #MIN_DELIVERY_DEADLINE} and {@link #MAX_DELIVERY_DEADLINE}. The aggregator's share phase lasts a fifth
   * of the round timeout and at least 5 s, so the deliveries end within it and the party still sends its bundle.
   */
  static Duration deliveryDeadline(long roundDeadlineUnixMillis, long nowUnixMillis) {
    if (roundDeadlineUnixMillis <= 0) {
      return MAX_DELIVERY_DEADLINE;
    }
    Duration tenth = Duration.ofMillis(Math.max(0, roundDeadlineUnixMillis - nowUnixMillis) / 10);
    if (tenth.compareTo(MIN_DELIVERY_DEADLINE) < 0) {
      return MIN_DELIVERY_DEADLINE;
    }
    return tenth.compareTo(MAX_DELIVERY_DEADLINE) > 0 ? MAX_DELIVERY_DEADLINE : tenth;
  }

  /** The deadline of each delivery of this courier. */
  Duration deliveryDeadline() {
    return deliveryDeadline;
  }

  static String topic(int attempt) {
    return "secagg/share/" + attempt;
  }

  @Override
  public Map<Integer, String> deliver(List<SecAggEncryptedShare> shares) {
    Map<Integer, String> undelivered = new LinkedHashMap<>();
    Map<Integer, CompletableFuture<String>> pending = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, shares.size()), r -> {
      Thread t = new Thread(r, "secagg-share-delivery");
      t.setDaemon(true);
      return t;
    });
    try {
      for (SecAggEncryptedShare share : shares) {
        PeerRoster.Peer peer = peerOf(share.getTo(), undelivered);
        if (peer != null) {
          pending.put(share.getTo(), CompletableFuture.supplyAsync(() -> send(peer, share), pool));
        }
      }
      pending.forEach((to, outcome) -> {
        String failure = outcome.join();
        if (failure != null) {
          undelivered.put(to, failure);
        }
      });
    } finally {
      pool.shutdownNow();
    }
    report(shares.size(), undelivered);
    return undelivered;
  }

  @Override
  public Optional<SecAggEncryptedShare> collect(int from) {
    Identity sender = identityOf(from);
    if (sender == null) {
      return Optional.empty();
    }
    Optional<byte[]> payload = inbox.take(sender.uri(), round, topic(attempt));
    if (payload.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(SecAggEncryptedShare.parseFrom(payload.get()));
    } catch (InvalidProtocolBufferException e) {
      log.warn("job {}: party {}: round {}: the share peer {} delivered is no share message ({}); ignored",
          dialer.self().job(), dialer.self().name(), round, sender.name(), e.getMessage());
      return Optional.empty();
    }
  }

  /** The roster entry of neighbour {@code index}, or null with the reason put into {@code undelivered}. */
  private PeerRoster.Peer peerOf(int index, Map<Integer, String> undelivered) {
    Identity identity = identityOf(index);
    if (identity == null) {
      undelivered.put(index, "the assignment names no party for neighbour " + index);
      return null;
    }
    if (roster == null) {
      undelivered.put(index, "the round has no peer roster");
      return null;
    }
    for (PeerRoster.Peer peer : roster.peers()) {
      if (peer.identity().equals(identity)) {
        return peer;
      }
    }
    undelivered.put(index, "peer " + identity.name() + " announced no peer endpoint");
    return null;
  }

  private Identity identityOf(int index) {
    String name = neighbourNames.get(index);
    if (name == null) {
      return null;
    }
    try {
      return Identity.party(dialer.self().trustDomain(), dialer.self().job(), name);
    } catch (PkiException e) {
      return null;
    }
  }

  /**
   * One Exchange over the kept channel to {@code peer} (a neighbour of an earlier round is reached over its
   * connection, or by a resumed TLS session); null when delivered, else why not. A channel whose call failed is
   * discarded; when a channel kept from an earlier round had gone stale (UNAVAILABLE: the peer closed the
   * connection or restarted), the share is sent once more on a fresh one within the same deadline.
   */
  private String send(PeerRoster.Peer peer, SecAggEncryptedShare share) {
    long deadline = System.nanoTime() + deliveryDeadline.toNanos();
    ExchangeRequest request = ExchangeRequest.newBuilder().setRound(round).setTopic(topic(attempt))
        .setPayload(share.toByteString()).build();
    String failure = null;
    for (int tries = 0; tries < 2; tries++) {
      boolean reused = dialer.keeps(peer);
      ManagedChannel channel;
      try {
        channel = dialer.kept(peer);
      } catch (RuntimeException e) {
        return "peer " + peer + ": cannot open a channel: " + e.getMessage();
      }
      try {
        PeerGrpc.newBlockingStub(channel).withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
            .exchange(request);
        return null;
      } catch (StatusRuntimeException e) {
        dialer.discard(peer, channel);
        failure = "peer " + PeerReachability.classify(peer, e.getStatus());
        if (!reused || e.getStatus().getCode() != Status.Code.UNAVAILABLE || deadline - System.nanoTime() <= 0) {
          return failure;
        }
      } catch (RuntimeException e) {
        dialer.discard(peer, channel);
        return "peer " + peer + ": " + e;
      }
    }
    return failure;
  }

  private void report(int shares, Map<Integer, String> undelivered) {
    Identity self = dialer.self();
    for (Map.Entry<Integer, String> e : undelivered.entrySet()) {
      log.warn("job {}: party {}: round {} (attempt {}): the shares for neighbour {} go by the aggregator's relay "
          + "(sealed end to end): {}", self.job(), self.name(), round, attempt, nameOf(e.getKey()), e.getValue());
    }
    log.info("job {}: party {}: round {} (attempt {}): shares delivered to {} of {} neighbours over the peer channel, "
        + "{} by the aggregator's relay", self.job(), self.name(), round, attempt, shares - undelivered.size(), shares,
        undelivered.size());
  }

  private String nameOf(int index) {
    String name = neighbourNames.get(index);
    return name == null ? "#" + index : name + " (#" + index + ")";
  }
}
