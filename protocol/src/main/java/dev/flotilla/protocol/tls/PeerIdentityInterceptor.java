package dev.flotilla.protocol.tls;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Puts the verified client certificate's {@link PeerIdentity} into the gRPC {@link Context} of
 * each call ({@link PeerIdentity#current()}), and closes calls without one as UNAUTHENTICATED.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Optional<PeerIdentity> identity = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (identity.isEmpty()) {
      call.close(Status.UNAUTHENTICATED.withDescription(
          "no verified client certificate with an identity (spiffe URI SAN or CN) on this connection"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(PeerIdentity.CONTEXT_KEY, identity.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  static Optional<PeerIdentity> identityOf(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
        return Optional.empty();
      }
      return PeerIdentity.of((X509Certificate) chain[0]);
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
