package dev.flotilla.party.peer;

import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.TrainRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The party's side of the peer channel while it runs: its endpoint, what it announces at Join (where
 * the endpoint is reached and the name it answers to), and each round's roster, whose peers it
 * checks when the job asks (in the background: training does not wait for the probes).
 */
public final class PeerChannel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerChannel.class);
  static final Duration PROBE_DEADLINE = Duration.ofSeconds(10);

  private final PeerEndpoint endpoint;
  private final String address;
  private final String serverName;
  private final PeerDialer dialer;
  private final ExecutorService probes = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "peer-probe");
    t.setDaemon(true);
    return t;
  });
  private final PeerReachability reachability;
  private volatile PeerRoster roster;
  private volatile CompletableFuture<List<PeerReachability.Result>> lastCheck;

  /**
   * @param endpoint this party's running endpoint
   * @param address where the others reach it ({@code --peer-address})
   * @param serverName the name it answers to ({@code --peer-host})
   */
  public PeerChannel(PeerEndpoint endpoint, String address, String serverName, PeerDialer dialer) {
    this.endpoint = endpoint;
    this.address = address;
    this.serverName = serverName;
    this.dialer = dialer;
    this.reachability = new PeerReachability(dialer, PROBE_DEADLINE, probes);
  }

  public PeerEndpoint endpoint() {
    return endpoint;
  }

  public PeerDialer dialer() {
    return dialer;
  }

  /** Adds where this party's endpoint is to its Join. */
  public void announce(JoinRequest.Builder join) {
    join.setPeerAddress(address).setPeerServerName(serverName);
  }

  /** A TrainRequest arrived: earlier rounds' messages go, and the round's roster (if any) is taken and checked if asked. */
  public void onRound(TrainRequest request) {
    endpoint.inbox().dropBefore(request.getRound());
    if (!request.hasPeerRoster()) {
      roster = null;
      return;
    }
    try {
      roster = PeerRoster.of(request.getRound(), request.getPeerRoster(), dialer.self());
    } catch (IllegalArgumentException e) {
      roster = null;
      log.warn("round {}: the aggregator's peer roster is refused: {}", request.getRound(), e.getMessage());
      return;
    }
    if (roster.checkReachability()) {
      CompletableFuture<List<PeerReachability.Result>> previous = lastCheck;
      if (previous != null && !previous.isDone()) {
        // one check at a time: a roster of many slow peers must not pile up probes round after round
        log.warn("round {}: peers not checked, the check of an earlier round is still running", roster.round());
        return;
      }
      log.info("round {}: checking that {} peers are reachable", roster.round(), roster.peers().size());
      lastCheck = reachability.check(roster);
    }
  }

  /** The roster of the current round, or null. */
  public PeerRoster roster() {
    return roster;
  }

  /** The reachability check of the latest round that asked for one, or null. */
  public CompletableFuture<List<PeerReachability.Result>> lastCheck() {
    return lastCheck;
  }

  @Override
  public void close() {
    probes.shutdownNow();
    dialer.close();
    endpoint.close();
  }
}
