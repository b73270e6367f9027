package dev.flotilla.simulator;

import dev.flotilla.server.CallerIdentity;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;

/**
 * Who calls the simulator's aggregator: each virtual party's channel names it in a header. This is
 * sound only because that server is in-process (InProcessServerBuilder, no socket): every caller is
 * a virtual party this JVM made. A networked server takes identities from certificates only
 * (PeerIdentityInterceptor).
 */
final class InProcessIdentity implements CallerIdentity {

  private static final Metadata.Key<String> HEADER =
      Metadata.Key.of("x-flotilla-virtual-party", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> CALLER = Context.key("virtual-party");

  @Override
  public Optional<String> current() {
    return Optional.ofNullable(CALLER.get());
  }

  /** The server side: puts the header's name where {@link #current()} reads it. */
  ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(CALLER, headers.get(HEADER)), call, headers, next);
      }
    };
  }

  /** The client side: a virtual party's channel names it on every call. */
  static ClientInterceptor as(String party) {
    Metadata headers = new Metadata();
    headers.put(HEADER, party);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
