package dev.flotilla.protocol.tls;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * gRPC servers over mutual TLS on BoringSSL: the client must present a certificate that chains to
 * the trusted CA and is valid for clientAuth; ALPN h2. The server's certificate and key, and the
 * trusted CAs, are re-read from their files when those change, so a renewed certificate is served
 * to new connections without a restart.
 */
public final class MutualTlsServers {
  private MutualTlsServers() {}

  /** A server builder on {@code address}; add services (and {@link PeerIdentityInterceptor}) and build it. */
  public static NettyServerBuilder forAddress(InetSocketAddress address, TlsFiles files) {
    return forAddress(address, files, null);
  }

  /**
   * The same, refusing in the handshake every client certificate whose serial the file
   * {@code revokedSerials} lists (re-read when it changes; null: no revocation list).
   */
  public static NettyServerBuilder forAddress(InetSocketAddress address, TlsFiles files, Path revokedSerials) {
    return NettyServerBuilder.forAddress(address).sslContext(sslContext(files, revokedSerials));
  }

  /** The server-side SSL context: BoringSSL, client certificate required, reloading key material. */
  public static SslContext sslContext(TlsFiles files) {
    return sslContext(files, null);
  }

  /** The same, with a revocation list file (null: none). */
  public static SslContext sslContext(TlsFiles files, Path revokedSerials) {
    BoringSsl.requireAvailable();
    try {
      return GrpcSslContexts.configure(builder(files, revokedSerials), SslProvider.OPENSSL).build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS server context from " + files + ": " + e.getMessage(), e);
    }
  }

  /**
   * The same, for a server whose clients re-dial it often (a party's peer endpoint): clients may resume their
   * TLS sessions by session tickets ({@link TlsSessionResumption}), so a re-dial skips the certificate checks
   * and signatures of a full handshake. A resumed session carries the client certificate verified in its full
   * handshake, so interceptors authorise each call by that identity as before.
   */
  public static SslContext resumingSslContext(TlsFiles files) {
    BoringSsl.requireAvailable();
    try {
      return TlsSessionResumption.withTickets(GrpcSslContexts.configure(
          TlsSessionResumption.bounded(builder(files, null)), SslProvider.OPENSSL).build());
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS server context from " + files + ": " + e.getMessage(), e);
    }
  }

  /**
   * The same server identity and client-certificate check for the bulk-upload port, with ALPN
   * {@link BulkTls#PROTOCOL} instead of h2 (the ciphers are gRPC's).
   */
  public static SslContext bulkSslContext(TlsFiles files, Path revokedSerials) {
    BoringSsl.requireAvailable();
    try {
      return BulkTls.configure(builder(files, revokedSerials)).build();
    } catch (SSLException e) {
      throw new IllegalArgumentException("cannot build the TLS server context from " + files + ": " + e.getMessage(), e);
    }
  }

  private static SslContextBuilder builder(TlsFiles files, Path revokedSerials) {
    return SslContextBuilder
        .forServer(new ReloadingKeyManager(files.certificateChain(), files.privateKey()))
        .trustManager(new ReloadingTrustManager(files.trustedCa(), revokedSerials))
        .clientAuth(ClientAuth.REQUIRE);
  }
}
