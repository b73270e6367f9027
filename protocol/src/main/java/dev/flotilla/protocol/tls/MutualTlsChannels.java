package dev.flotilla.protocol.tls;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * gRPC channels over mutual TLS on BoringSSL: the channel presents the client certificate of its
 * files (re-read when they change) and verifies the server against the trusted CA, with host name
 * verification against the server name.
 */
public final class MutualTlsChannels {
  private MutualTlsChannels() {}

  /**
   * A channel builder to {@code hostAndPort}. When {@code serverName} is non-null it is the name the
   * server's certificate must match, the SNI sent (what an SNI-routing proxy routes on) and the
   * call's :authority; otherwise the host of {@code hostAndPort} is.
   */
  public static NettyChannelBuilder forTarget(String hostAndPort, String serverName, TlsFiles files) {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(hostAndPort).sslContext(sslContext(files));
    if (serverName != null) {
      builder.overrideAuthority(serverName);
    }
    return builder;
  }

  /** The client-side SSL context: BoringSSL, client certificate, server verification with endpoint identification. */
  public static SslContext sslContext(TlsFiles files) {
    BoringSsl.requireAvailable();
    try {
      SslContextBuilder builder = SslContextBuilder.forClient()
          .keyManager(new ReloadingKeyManager(files.certificateChain(), files.privateKey()))
          .trustManager(new ReloadingTrustManager(files.trustedCa()))
          .endpointIdentificationAlgorithm("HTTPS");
      return GrpcSslContexts.configure(builder, SslProvider.OPENSSL).build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS client context from " + files + ": " + e.getMessage(), e);
    }
  }
}
