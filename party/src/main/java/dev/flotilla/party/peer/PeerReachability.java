package dev.flotilla.party.peer;

import dev.flotilla.protocol.v1.HelloRequest;
import dev.flotilla.protocol.v1.HelloResponse;
import dev.flotilla.protocol.v1.PeerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this party reaches each peer of a roster: one {@code Hello} per peer, each with its own
 * deadline, and for each peer it cannot reach the reason a person can act on (the name does not
 * resolve, the connection is refused, the TLS handshake or the peer's identity is wrong, the peer
 * refuses this party, no answer in time).
 */
public final class PeerReachability {
  private static final Logger log = LoggerFactory.getLogger(PeerReachability.class);

  /** How a probe ended. */
  public enum Outcome {
    REACHED, DNS, CONNECTION_REFUSED, TLS, REFUSED_BY_PEER, TIMEOUT, UNREACHABLE
  }

  public record Result(PeerRoster.Peer peer, Outcome outcome, String detail) {
    public boolean reached() {
      return outcome == Outcome.REACHED;
    }

    @Override
    public String toString() {
      return peer.name() + " at " + peer.address() + ": " + (reached() ? "reached" : outcome + " (" + detail + ")");
    }
  }

  private final PeerDialer dialer;
  private final Duration deadline;
  private final ExecutorService executor;

  public PeerReachability(PeerDialer dialer, Duration deadline, ExecutorService executor) {
    this.dialer = dialer;
    this.deadline = deadline;
    this.executor = executor;
  }

  /** Probes every peer of {@code roster} at once; the future completes when each has an outcome. */
  public CompletableFuture<List<Result>> check(PeerRoster roster) {
    List<CompletableFuture<Result>> probes = new ArrayList<>();
    for (PeerRoster.Peer peer : roster.peers()) {
      probes.add(CompletableFuture.supplyAsync(() -> probe(peer), executor));
    }
    return CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).thenApply(done -> {
      List<Result> results = probes.stream().map(CompletableFuture::join).toList();
      report(roster.round(), results);
      return results;
    });
  }

  /** One {@code Hello} to {@code peer}. */
  public Result probe(PeerRoster.Peer peer) {
    ManagedChannel channel;
    try {
      channel = dialer.open(peer);
    } catch (RuntimeException e) {
      return new Result(peer, Outcome.UNREACHABLE, "cannot open a channel: " + e.getMessage());
    }
    try {
      HelloResponse hello = PeerGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .hello(HelloRequest.getDefaultInstance());
      if (!hello.getIdentity().equals(peer.identity().uri())) {
        // the handshake checked the certificate; a different answer here means a confused endpoint
        return new Result(peer, Outcome.TLS, "it answered as " + hello.getIdentity() + ", expected " + peer.identity());
      }
      return new Result(peer, Outcome.REACHED, "");
    } catch (StatusRuntimeException e) {
      return classify(peer, e.getStatus());
    } finally {
      channel.shutdownNow();
    }
  }

  static Result classify(PeerRoster.Peer peer, Status status) {
    String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    switch (status.getCode()) {
      case DEADLINE_EXCEEDED:
        return new Result(peer, Outcome.TIMEOUT, "no answer in time: " + description);
      case PERMISSION_DENIED:
      case UNAUTHENTICATED:
        return new Result(peer, Outcome.REFUSED_BY_PEER, "the peer refused this party: " + description);
      default:
        break;
    }
    for (Throwable t = status.getCause(); t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return new Result(peer, Outcome.DNS, "the host name does not resolve: " + message(t));
      }
      if (t instanceof ConnectException && !(t instanceof NoRouteToHostException)) {
        return new Result(peer, Outcome.CONNECTION_REFUSED, "connection refused: " + message(t));
      }
      if (t instanceof SSLException || t instanceof CertificateException) {
        return new Result(peer, Outcome.TLS, "TLS handshake failed (certificate, server name or identity): "
            + rootMessage(t));
      }
    }
    return new Result(peer, Outcome.UNREACHABLE, status.getCode() + ": " + description
        + (status.getCause() == null ? "" : " (" + rootMessage(status.getCause()) + ")"));
  }

  private static void report(int round, List<Result> results) {
    long reached = results.stream().filter(Result::reached).count();
    if (reached == results.size()) {
      log.info("round {}: reached all {} peers", round, results.size());
      return;
    }
    for (Result r : results) {
      if (!r.reached()) {
        log.warn("round {}: cannot reach peer {}", round, r);
      }
    }
    log.warn("round {}: reached {} of {} peers", round, reached, results.size());
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String rootMessage(Throwable failure) {
    String message = message(failure);
    for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return message;
  }
}
