package dev.flotilla.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.MetadataUtils;
import java.util.Optional;

/**
 * For in-process tests only: the caller's identity comes from a request header instead of a client
 * certificate. Production uses the protocol module's PeerIdentityInterceptor.
 */
public final class TestIdentity implements CallerIdentity {

  static final Metadata.Key<String> HEADER = Metadata.Key.of("x-test-party", Metadata.ASCII_STRING_MARSHALLER);
  static final Context.Key<String> KEY = Context.key("test-party");

  @Override
  public Optional<String> current() {
    return Optional.ofNullable(KEY.get());
  }

  public static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String name = headers.get(HEADER);
        return Contexts.interceptCall(Context.current().withValue(KEY, name), call, headers, next);
      }
    };
  }

  /** A client interceptor presenting the given party name. */
  public static io.grpc.ClientInterceptor as(String party) {
    Metadata md = new Metadata();
    md.put(HEADER, party);
    return MetadataUtils.newAttachHeadersInterceptor(md);
  }
}
