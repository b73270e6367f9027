package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import io.grpc.Context;
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
 * Admits to a party's peer endpoint only the other parties of its own trust domain and job,
 * connected directly with their own certificates, and puts the caller's {@link PeerIdentity} into
 * the gRPC {@link Context}. It runs when a call's headers arrive, before any message is read.
 * A server, ingress or controller identity, a party of another job or trust domain, the serving
 * party's own identity and a forwarded certificate are refused (UNAUTHENTICATED without a usable
 * identity, PERMISSION_DENIED otherwise) with a description naming what the caller presented.
 */
public final class PartyPeerInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(PartyPeerInterceptor.class);

  private final Identity self;
  private final PeerIdentityInterceptor.LogBudget refusalLog =
      new PeerIdentityInterceptor.LogBudget(60, java.time.Duration.ofMinutes(1));

  private PartyPeerInterceptor(Identity self) {
    if (Objects.requireNonNull(self, "self").role() != Role.PARTY) {
      throw new IllegalArgumentException("the interceptor guards a party's peer endpoint: " + self + " is no party identity");
    }
    this.self = self;
  }

  /** Admits the other parties of {@code self}'s trust domain and job. */
  public static PartyPeerInterceptor peersOf(Identity self) {
    return new PartyPeerInterceptor(self);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    PeerIdentityInterceptor.Decision decision = decide(
        PeerIdentityInterceptor.leafOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)),
        headers.containsKey(PeerIdentityInterceptor.FORWARDED_CERT));
    return decision.apply(call, headers, next, refusalLog, log,
        "job " + self.job() + ": peer endpoint of " + self.name());
  }

  /** Pure: who the call is from, given the connection's verified leaf and whether a certificate was forwarded. */
  PeerIdentityInterceptor.Decision decide(Optional<X509Certificate> leaf, boolean forwarded) {
    if (leaf.isEmpty()) {
      return PeerIdentityInterceptor.Decision.refuse(Status.UNAUTHENTICATED, "no verified client certificate on this connection");
    }
    PeerIdentity caller;
    try {
      caller = PeerIdentity.of(leaf.get());
    } catch (PkiException e) {
      return PeerIdentityInterceptor.Decision.refuse(Status.UNAUTHENTICATED,
          "the client certificate carries no Flotilla identity: " + e.getMessage());
    }
    String expected = "; the peer endpoint of party " + self.name() + " admits only other parties of job " + self.job()
        + " in " + self.trustDomain() + ", connected directly";
    if (forwarded) {
      return PeerIdentityInterceptor.Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " sent a forwarded "
          + "client certificate (" + PeerIdentityInterceptor.FORWARDED_CERT_HEADER + " header)" + expected);
    }
    if (caller.role() != Role.PARTY) {
      return PeerIdentityInterceptor.Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " is "
          + (caller.role() == Role.INGRESS ? "an " : "a ") + caller.role().pathSegment() + " identity" + expected);
    }
    if (!caller.identity().sameJobAs(self)) {
      return PeerIdentityInterceptor.Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " is a party of job "
          + caller.job() + " in " + caller.trustDomain() + expected);
    }
    if (caller.identity().equals(self)) {
      return PeerIdentityInterceptor.Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller
          + " presented this party's own identity" + expected);
    }
    return new PeerIdentityInterceptor.Decision(caller, null);
  }
}
