package dev.flotilla.protocol.tls;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * gRPC channels over mutual TLS on BoringSSL: the channel presents the client certificate of its
 * files (re-read when they change) and accepts a server only if its certificate chains to the
 * trusted CA, matches the server name, and carries the expected identity ({@link ExpectedPeer}).
 */
public final class MutualTlsChannels {
  private MutualTlsChannels() {}

  /**
   * A channel builder to {@code hostAndPort}. {@code serverName} is the name the server's
   * certificate must match, the SNI sent (what an SNI-routing proxy routes on) and the call's
   * :authority.
   */
  public static NettyChannelBuilder forTarget(String hostAndPort, String serverName, TlsFiles files, ExpectedPeer expected) {
    return forTarget(hostAndPort, serverName, ClientTlsMaterial.of(files), expected);
  }

  /** The same with key material shared by many channels (a party dialing its peers). */
  public static NettyChannelBuilder forTarget(String hostAndPort, String serverName, ClientTlsMaterial material,
      ExpectedPeer expected) {
    return NettyChannelBuilder.forTarget(hostAndPort)
        .sslContext(sslContext(material, expected))
        .overrideAuthority(Objects.requireNonNull(serverName, "serverName"));
  }

  /**
   * The same from credentials held in memory (the controller issues its own and writes no key to
   * disk): {@code chain} is presented with {@code key}; the server must chain to one of {@code trustedCas}.
   */
  public static SslContext sslContext(java.security.PrivateKey key, java.util.List<java.security.cert.X509Certificate> chain,
      java.util.List<java.security.cert.X509Certificate> trustedCas, ExpectedPeer expected) {
    BoringSsl.requireAvailable();
    try {
      java.security.KeyStore anchors = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      anchors.load(null, null);
      for (int i = 0; i < trustedCas.size(); i++) {
        anchors.setCertificateEntry("ca-" + i, trustedCas.get(i));
      }
      javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
      factory.init(anchors);
      javax.net.ssl.X509ExtendedTrustManager pkix = null;
      for (javax.net.ssl.TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof javax.net.ssl.X509ExtendedTrustManager x) {
          pkix = x;
        }
      }
      SslContextBuilder builder = SslContextBuilder.forClient()
          .keyManager(key, chain.toArray(new java.security.cert.X509Certificate[0]))
          .trustManager(new IdentityCheckingTrustManager(Objects.requireNonNull(pkix, "PKIX trust manager"),
              Objects.requireNonNull(expected, "expected")))
          .endpointIdentificationAlgorithm("HTTPS");
      return GrpcSslContexts.configure(builder, SslProvider.OPENSSL).build();
    } catch (java.security.GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException("cannot build the TLS client context for " + expected + ": " + e.getMessage(), e);
    }
  }

  /** The client-side SSL context: BoringSSL, client certificate, server verification with endpoint identification and identity. */
  public static SslContext sslContext(TlsFiles files, ExpectedPeer expected) {
    return sslContext(ClientTlsMaterial.of(files), expected);
  }

  private static SslContext sslContext(ClientTlsMaterial material, ExpectedPeer expected) {
    BoringSsl.requireAvailable();
    try {
      return GrpcSslContexts.configure(builder(material, expected), SslProvider.OPENSSL).build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS client context from " + material.files() + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * A client context for the channels to one peer that may resume their TLS sessions: its session cache holds
   * only sessions whose full handshake verified the server as {@code expected}, so a resumed session (which
   * skips the certificate checks) is still with that peer. Keep one per expected peer, never share it
   * between peers; sessions last at most {@link TlsSessionResumption#SESSION_SECONDS}.
   */
  public static SslContext resumingSslContext(ClientTlsMaterial material, ExpectedPeer expected) {
    BoringSsl.requireAvailable();
    try {
      return GrpcSslContexts.configure(TlsSessionResumption.bounded(builder(material, expected)), SslProvider.OPENSSL)
          .build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS client context from " + material.files() + ": "
          + e.getMessage(), e);
    }
  }

  /** The same client identity and server verification for the bulk-upload port: ALPN {@link BulkTls#PROTOCOL}. */
  public static SslContext bulkSslContext(TlsFiles files, ExpectedPeer expected) {
    BoringSsl.requireAvailable();
    try {
      return BulkTls.configure(builder(ClientTlsMaterial.of(files), expected)).build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS client context from " + files + ": " + e.getMessage(), e);
    }
  }

  private static SslContextBuilder builder(ClientTlsMaterial material, ExpectedPeer expected) {
    return SslContextBuilder.forClient()
        .keyManager(material.keys())
        .trustManager(new IdentityCheckingTrustManager(material.trust(), Objects.requireNonNull(expected, "expected")))
        .endpointIdentificationAlgorithm("HTTPS");
  }
}
