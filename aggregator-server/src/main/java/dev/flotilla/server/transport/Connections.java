package dev.flotilla.server.transport;

import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's connections, so that one that misbehaves can be closed while everyone else is
 * served. A connection earns a strike for every call refused at its start ({@link CallAdmission});
 * at {@value #STRIKES} strikes within {@link #STRIKE_WINDOW} it is closed. An honest party hardly
 * ever gets a call refused at its start; a flood of calls that may not run is what this ends.
 *
 * <p>How a connection is closed: grpc-java has no public API to close one server-side connection
 * (its transports are internal). Netty's is used instead, through public API only: the server
 * channel (made by {@link NettyServerBuilder#channelFactory}) gets a first handler that sees every
 * accepted connection and puts a handler at the head of its pipeline; closing through that
 * handler's context goes straight to the socket, past grpc's own close, which would wait for the
 * open streams to end gracefully (and a flood's never do). gRPC sees the connection go and cancels
 * its calls. Supplying the channel factory means supplying the event loops, which this class owns.
 * The same first handler counts each accepted socket against the port's caps ({@link ConnectionGate})
 * and closes one beyond them before gRPC (and its TLS handshake) ever sees it; the connection's head
 * handler watches the TLS handshake that gRPC's handler runs, and tells the gate when it finished and
 * whose certificate it named ({@link IdentityCaps}).
 */
public final class Connections implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Connections.class);

  static final int STRIKES = 5;
  static final Duration STRIKE_WINDOW = Duration.ofMinutes(1);
  /** Per-stream and per-connection HTTP/2 flow-control window: bytes a peer may send before the server reads them. */
  public static final int FLOW_CONTROL_WINDOW = 1 << 20;
  /** RST_STREAM frames a connection may cause per {@link #RST_WINDOW_SECONDS} (rapid-reset floods) before gRPC closes it. */
  static final int MAX_RST_FRAMES = 200;
  static final int RST_WINDOW_SECONDS = 10;

  private final String jobId;
  private final EventLoopGroup boss;
  private final EventLoopGroup worker;
  private final Map<SocketAddress, Connection> open = new ConcurrentHashMap<>();
  private volatile ConnectionGate gate;
  private volatile IdentityCaps identityCaps = IdentityCaps.none();

  private Connections(String jobId, boolean netty) {
    this.jobId = jobId;
    this.gate = new ConnectionGate(jobId, "gRPC", ConnectionGate.Limits.none());
    this.boss = netty ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("flotilla-accept", true),
        NioIoHandler.newFactory()) : null;
    this.worker = netty ? new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("flotilla-io", true),
        NioIoHandler.newFactory()) : null;
  }

  /** Connections of a Netty server: configure its builder with {@link #configure}. */
  public static Connections netty(String jobId) {
    return new Connections(jobId, true);
  }

  /** No connections to close (an in-process server in tests). */
  public static Connections none(String jobId) {
    return new Connections(jobId, false);
  }

  /**
   * Sets the transport limits of a Netty server: calls per connection, a fixed 1 MiB flow-control
   * window (grpc-java's default grows it per connection up to 8 MiB), the RST_STREAM rate, and the
   * channel factory and event loops that let this class close a connection.
   */
  public NettyServerBuilder configure(NettyServerBuilder builder, int maxCallsPerConnection) {
    if (boss == null) {
      throw new IllegalStateException("Connections.none() has no event loops");
    }
    return builder
        .channelFactory(this::newServerChannel)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(worker)
        .maxConcurrentCallsPerConnection(maxCallsPerConnection)
        .flowControlWindow(FLOW_CONTROL_WINDOW)
        .maxRstFramesPerWindow(MAX_RST_FRAMES, RST_WINDOW_SECONDS);
  }

  /**
   * Caps the sockets open at once, counted as each is accepted, their unfinished TLS handshakes and,
   * once a handshake named the peer, the sockets per peer as {@code caps} says ({@link
   * ConnectionGate}); set before the server starts. Without it: no cap but the handshake's own.
   */
  public Connections gate(ConnectionGate gate, IdentityCaps caps) {
    this.gate = gate;
    this.identityCaps = caps;
    return this;
  }

  private ServerChannel newServerChannel() {
    NioServerSocketChannel channel = new NioServerSocketChannel();
    channel.pipeline().addFirst("flotilla-connections", new Tracker());
    return channel;
  }

  /** Open connections now. */
  public int size() {
    return open.size();
  }

  /**
   * Counts a refused call against the connection of {@code remote}; closes the connection at
   * {@value #STRIKES} strikes within a minute. Returns true when this strike closed it.
   */
  public boolean strike(SocketAddress remote, String reason) {
    Connection connection = remote == null ? null : open.get(remote);
    if (connection == null || !connection.strike()) {
      return false;
    }
    log.warn("job {}: closing the connection from {}: {} calls refused at their start within {}; last: {}",
        jobId, remote, STRIKES, STRIKE_WINDOW, reason);
    connection.closeNow();
    return true;
  }

  @Override
  public void close() {
    if (boss != null) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      worker.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** First handler of the server channel: every message it reads is an accepted connection. */
  @ChannelHandler.Sharable
  private final class Tracker extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel child) {
        SocketAddress remote = child.remoteAddress();
        ConnectionGate admission = gate;
        if (!admission.admit(child, ctx.executor())) {
          // not yet registered with an event loop: this only closes the socket; no handler ever sees it
          child.unsafe().closeForcibly();
          return;
        }
        child.closeFuture().addListener(f -> admission.closed(child));
        child.pipeline().addFirst("flotilla-connection", new Connection(admission, identityCaps, remote));
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** The first handler of every accepted connection (package-private for tests: an accepted socket is a message to it). */
  ChannelHandler acceptor() {
    return new Tracker();
  }

  /**
   * Head handler of one connection: its context closes the socket directly; it counts strikes, and
   * tells the gate when the TLS handshake finished and whose it was. It enters the open connections
   * when its socket is registered with an event loop (Netty adds it then), not when the socket is
   * accepted: a socket the gate closes before that can be closed properly, with its close listeners,
   * only once it is registered, so until then the gate leaves it to this handler.
   */
  private final class Connection extends ChannelInboundHandlerAdapter {
    private final ConnectionGate gate;
    private final IdentityCaps caps;
    private final SocketAddress remote;
    private volatile ChannelHandlerContext context;
    private final Deque<Long> strikes = new ArrayDeque<>();
    private boolean watching;

    Connection(ConnectionGate gate, IdentityCaps caps, SocketAddress remote) {
      this.gate = gate;
      this.caps = caps;
      this.remote = remote;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      context = ctx;
      if (!gate.holds(ctx.channel())) {
        ctx.close(); // the gate closed it (evicted, or its deadline) before it had an event loop
        return;
      }
      if (remote != null) {
        open.put(remote, this);
        ctx.channel().closeFuture().addListener(f -> open.remove(remote, this));
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      watchHandshake(ctx);
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      watchHandshake(ctx); // gRPC's TLS handler is in place before the bytes of the handshake pass here
      ctx.fireChannelRead(msg);
    }

    private void watchHandshake(ChannelHandlerContext ctx) {
      if (watching) {
        return;
      }
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      if (tls == null) {
        return;
      }
      watching = true;
      tls.handshakeFuture().addListener(done -> {
        if (!done.isSuccess()) {
          return; // the TLS handler closes the connection; the gate forgets it then
        }
        if (!gate.handshakeFinished(ctx.channel(), caps.of(tls.engine().getSession()))) {
          ctx.close();
        }
      });
    }

    synchronized boolean strike() {
      long now = System.nanoTime();
      strikes.addLast(now);
      while (now - strikes.peekFirst() > STRIKE_WINDOW.toNanos()) {
        strikes.removeFirst();
      }
      return strikes.size() == STRIKES;
    }

    void closeNow() {
      ChannelHandlerContext ctx = context;
      if (ctx != null) {
        ctx.close();
      }
    }
  }
}
