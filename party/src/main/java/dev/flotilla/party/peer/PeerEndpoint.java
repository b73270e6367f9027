package dev.flotilla.party.peer;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.PartyPeerInterceptor;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.tls.TlsSessionResumption;
import io.grpc.Attributes;
import io.grpc.Server;
import io.grpc.ServerTransportFilter;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A party's peer endpoint: the {@code Peer} service over mutual TLS with the party's own certificate
 * (clientAuth and serverAuth, DNS name its party host), admitting only the other parties of its job
 * ({@link PartyPeerInterceptor}), by the identity of each connection's certificate (for a resumed TLS session,
 * the one verified in its full handshake). Small by design: a message is at most a payload and its framing,
 * few calls run at once, on a bounded pool.
 */
public final class PeerEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerEndpoint.class);
  static final int MAX_MESSAGE_BYTES = PeerInbox.MAX_PAYLOAD_BYTES + 1024;
  static final int MAX_CALLS_PER_CONNECTION = 16;
  /** A connection without calls for this long is closed: peers keep theirs across rounds, but not for ever. */
  static final Duration MAX_CONNECTION_IDLE = PeerDialer.IDLE_TIMEOUT.multipliedBy(2);
  /**
   * A connection in use is closed (gracefully, between calls) after this long all the same: a kept connection
   * must not outlive the certificate it was verified with, or a trust bundle that dropped its CA, for ever.
   */
  static final Duration MAX_CONNECTION_AGE = Duration.ofSeconds(TlsSessionResumption.SESSION_SECONDS);

  private final Identity self;
  private final PeerInbox inbox;
  private final Server server;
  private final ExecutorService executor;
  private final SslContext tls;
  private final ConnectionCount connections;

  /** Connections accepted (TLS and HTTP/2 set up) so far. */
  private static final class ConnectionCount extends ServerTransportFilter {
    private final AtomicLong ready = new AtomicLong();

    @Override
    public Attributes transportReady(Attributes attributes) {
      ready.incrementAndGet();
      return attributes;
    }
  }

  private PeerEndpoint(Identity self, PeerInbox inbox, Server server, ExecutorService executor, SslContext tls,
      ConnectionCount connections) {
    this.tls = tls;
    this.connections = connections;
    this.self = self;
    this.inbox = inbox;
    this.server = server;
    this.executor = executor;
  }

  /**
   * Listens on {@code address} with the party's {@code files}; {@code self} is the identity of their certificate.
   *
   * @throws IOException when the port cannot be bound
   */
  public static PeerEndpoint start(InetSocketAddress address, TlsFiles files, Identity self) throws IOException {
    ExecutorService executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(256),
        r -> {
          Thread t = new Thread(r, "peer-endpoint");
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    PeerInbox inbox = new PeerInbox();
    ConnectionCount connections = new ConnectionCount();
    Server server;
    SslContext tls;
    try {
      // the same parties dial this endpoint round after round: they resume their sessions by ticket
      tls = MutualTlsServers.resumingSslContext(files);
      server = NettyServerBuilder.forAddress(address).sslContext(tls)
          .executor(executor)
          .maxInboundMessageSize(MAX_MESSAGE_BYTES)
          .maxInboundMetadataSize(8 * 1024)
          .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION)
          .maxConnectionIdle(MAX_CONNECTION_IDLE.toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAge(MAX_CONNECTION_AGE.toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(30, TimeUnit.SECONDS)
          .addTransportFilter(connections)
          .addService(ServerInterceptors.intercept(new PeerService(self, inbox), PartyPeerInterceptor.peersOf(self)))
          .build()
          .start();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    log.info("job {}: party {} serves its peer endpoint on port {} ({})", self.job(), self.name(), server.getPort(),
        self.partyHost());
    return new PeerEndpoint(self, inbox, server, executor, tls, connections);
  }

  public int port() {
    return server.getPort();
  }

  public Identity identity() {
    return self;
  }

  /** Connections accepted so far (each one TLS handshake, full or resumed). */
  public long connections() {
    return connections.ready.get();
  }

  /** Connections whose TLS session was resumed from this endpoint's ticket (no certificate checks) so far. */
  public long resumedSessions() {
    return TlsSessionResumption.resumedByTicket(tls);
  }

  /** What the other parties left for this one. */
  public PeerInbox inbox() {
    return inbox;
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
  }
}
