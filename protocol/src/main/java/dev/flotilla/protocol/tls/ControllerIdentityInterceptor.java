package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits to an aggregator's read-only observer service (the job's progress) only a
 * <em>controller</em> identity of the aggregator's own trust domain, connected directly: no party,
 * no ingress, no forwarded certificate, no other trust domain. It guards that one service and
 * nothing else, so the controller's identity reaches no Federation method (those stay behind
 * {@link PeerIdentityInterceptor}, which admits parties only). Runs when a call's headers arrive,
 * before any message is read.
 */
public final class ControllerIdentityInterceptor implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(ControllerIdentityInterceptor.class);

  private final Identity server;
  private final PeerIdentityInterceptor.LogBudget refusalLog = new PeerIdentityInterceptor.LogBudget(60, java.time.Duration.ofMinutes(1));

  private ControllerIdentityInterceptor(Identity server) {
    if (Objects.requireNonNull(server, "server").role() != Role.SERVER) {
      throw new IllegalArgumentException("the interceptor guards an aggregator: " + server + " is no server identity");
    }
    this.server = server;
  }

  /** Admits the controllers of {@code server}'s trust domain. */
  public static ControllerIdentityInterceptor controllersOf(Identity server) {
    return new ControllerIdentityInterceptor(server);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    PeerIdentityInterceptor.Decision decision = decide(
        PeerIdentityInterceptor.leafOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)),
        headers.containsKey(PeerIdentityInterceptor.FORWARDED_CERT));
    return decision.apply(call, headers, next, refusalLog, log, "job " + server.job());
  }

  /** Pure: whether the connection's verified leaf is a controller of this trust domain. */
  PeerIdentityInterceptor.Decision decide(Optional<X509Certificate> leaf, boolean forwarded) {
    if (leaf.isEmpty()) {
      return PeerIdentityInterceptor.Decision.refuse(Status.UNAUTHENTICATED, "no verified client certificate on this connection");
    }
    PeerIdentity peer;
    try {
      peer = PeerIdentity.of(leaf.get());
    } catch (PkiException e) {
      return PeerIdentityInterceptor.Decision.refuse(Status.UNAUTHENTICATED,
          "the client certificate carries no Flotilla identity: " + e.getMessage());
    }
    if (forwarded) {
      return PeerIdentityInterceptor.Decision.refuse(Status.PERMISSION_DENIED, "peer " + peer + " sent a forwarded client "
          + "certificate; the job's progress is read by the controller directly, never through a proxy");
    }
    if (peer.role() != Role.CONTROLLER || !peer.trustDomain().equals(server.trustDomain())) {
      return PeerIdentityInterceptor.Decision.refuse(Status.PERMISSION_DENIED, "peer " + peer + " may not read the progress of job "
          + server.job() + ": only a controller identity of " + server.trustDomain() + " (spiffe://" + server.trustDomain()
          + "/controller/...) may");
    }
    return new PeerIdentityInterceptor.Decision(peer, null);
  }
}
