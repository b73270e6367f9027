package dev.flotilla.protocol.tls;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;

/**
 * TLS of the bulk-upload port: BoringSSL, the ciphers gRPC uses, and its own ALPN protocol, so that
 * neither side mistakes the other for a gRPC peer (the server checks the negotiated protocol).
 */
public final class BulkTls {
  /** The ALPN protocol of the bulk-upload port. */
  public static final String PROTOCOL = "flotilla-bulk/1";

  private BulkTls() {}

  static SslContextBuilder configure(SslContextBuilder builder) {
    // GrpcSslContexts sets h2; configure it first for the provider checks, then replace ALPN and ciphers
    return GrpcSslContexts.configure(builder, SslProvider.OPENSSL)
        .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, PROTOCOL));
  }
}
