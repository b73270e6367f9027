package dev.flotilla.server;

import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.PeerIdentityInterceptor;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.transport.ConnectionGate;
import dev.flotilla.server.transport.UploadPermits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bulk-upload port (--bulk-port): a TLS listener beside the gRPC port with the same server
 * certificate and client-certificate check, on which parties holding a ticket send an update's
 * bytes without HTTP/2 ({@link BulkUploadConnection}). Once open, the coordinator offers it to the
 * parties that announce the capability; gRPC keeps everything else.
 */
public final class BulkUploadServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BulkUploadServer.class);
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private final ExecutorService executor;
  private final Channel listener;
  private final BulkConnectionSlots slots = new BulkConnectionSlots();
  private final FrameArrays frames = new FrameArrays(FrameArrays.defaultCapacity());

  /**
   * Listens on {@code address} and offers the port to the coordinator's parties; {@code gate} caps
   * the connections at once, in all and per source, and their unfinished handshakes (with their
   * deadline), and one per party once its handshake named it ({@link BulkConnectionSlots});
   * {@code idleTimeout} bounds the time from connecting to a complete ticket and header, and the
   * time an upload may go without a byte (slowloris).
   */
  public BulkUploadServer(InetSocketAddress address, TlsFiles tls, java.nio.file.Path revokedSerials,
      RoundCoordinator coordinator,
      PeerIdentityInterceptor identities, UploadPermits permits, ServerMetrics metrics, int maxHeaderBytes,
      ConnectionGate gate, Duration idleTimeout) throws InterruptedException {
    SslContext context = MutualTlsServers.bulkSslContext(tls, revokedSerials);
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    this.executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "bulk-upload");
      t.setDaemon(true);
      return t;
    });
    this.listener = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (!gate.admit(ch, ch.eventLoop())) {
              ch.close();
              return;
            }
            ch.closeFuture().addListener(f -> gate.closed(ch));
            SslHandler tls = context.newHandler(ch.alloc());
            tls.setHandshakeTimeoutMillis(0); // the gate's deadline (--handshake-timeout) ends it, and logs why
            // one connection per party once it is named (BulkConnectionSlots): the gate caps no identity here
            tls.handshakeFuture().addListener(done -> {
              if (done.isSuccess() && !gate.handshakeFinished(ch, dev.flotilla.server.transport.IdentityCaps.Cap.NONE)) {
                ch.close();
              }
            });
            ch.pipeline().addLast(tls,
                new IdleStateHandler(idleTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                new BulkUploadConnection(coordinator, identities, permits, metrics, executor, maxHeaderBytes,
                    idleTimeout, slots, frames));
          }
        }).bind(address).sync().channel();
    coordinator.offerBulkUploads(port());
    log.info("job {}: bulk-upload port {} open (TLS, ALPN {})", coordinator.jobId(), port(),
        dev.flotilla.protocol.tls.BulkTls.PROTOCOL);
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    executor.shutdown();
  }
}
