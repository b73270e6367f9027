package dev.flotilla.bench;

import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.TlsFiles;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit for uploads: raw mutual-TLS throughput on loopback with the same TLS stack (Netty on
 * BoringSSL, the same certificates and SSL contexts as gRPC), n connections each sending the same
 * bytes as a party's uploads, the server counting and discarding them.
 */
final class RawTlsBench {

  /** Writes while the channel is writable and resumes when it drains: no unbounded buffering, no polling. */
  private static final class Pump extends ChannelInboundHandlerAdapter {
    private final ByteBuf payload;
    private final int chunkBytes;
    private final long total;
    private long sent;
    private boolean started;

    Pump(ByteBuf payload, int chunkBytes, long total) {
      this.payload = payload;
      this.chunkBytes = chunkBytes;
      this.total = total;
    }

    void pump(Channel ch) {
      started = true;
      while (sent < total && ch.isWritable()) {
        int len = (int) Math.min(chunkBytes, total - sent);
        ch.write(payload.retainedSlice(0, len));
        sent += len;
      }
      ch.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (started && ctx.channel().isWritable()) {
        pump(ctx.channel());
      }
      ctx.fireChannelWritabilityChanged();
    }
  }

  /** Wall-clock and CPU-time throughput (with and without the CPU time of the JIT compiler threads). */
  record Result(double bytesPerSecond, double bytesPerCpuSecond, double bytesPerCpuSecondWithoutJit) {}

  static Result run(TlsFiles server, List<TlsFiles> clients, long bytesPerConnection, int chunkBytes)
      throws Exception {
    int n = clients.size();
    SslContext serverContext = MutualTlsServers.sslContext(server);
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    AtomicLong received = new AtomicLong();
    long expected = bytesPerConnection * n;
    CountDownLatch allReceived = new CountDownLatch(1);
    try {
      Channel listener = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(serverContext.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                  long got = received.addAndGet(((ByteBuf) msg).readableBytes());
                  ReferenceCountUtil.release(msg);
                  if (got >= expected) {
                    allReceived.countDown();
                  }
                }
              });
            }
          }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
      int port = ((InetSocketAddress) listener.localAddress()).getPort();

      ByteBuf payload = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[chunkBytes]));
      List<Channel> connections = new ArrayList<>();
      List<Pump> pumps = new ArrayList<>();
      for (TlsFiles client : clients) {
        SslContext clientContext = MutualTlsChannels.sslContext(client, Pki.AGGREGATOR);
        Pump pump = new Pump(payload, chunkBytes, bytesPerConnection);
        Channel ch = new Bootstrap().group(workers).channel(NioSocketChannel.class)
            .handler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel c) {
                c.pipeline().addLast(clientContext.newHandler(c.alloc(), Pki.SERVER_NAME, port), pump);
              }
            }).connect("127.0.0.1", port).sync().channel();
        Future<Channel> handshake = ch.pipeline().get(SslHandler.class).handshakeFuture();
        handshake.sync();
        connections.add(ch);
        pumps.add(pump);
      }

      long start = System.nanoTime();
      long cpuStart = CpuClock.process();
      long jitStart = CpuClock.jitCompilers();
      for (int i = 0; i < connections.size(); i++) {
        Channel ch = connections.get(i);
        Pump pump = pumps.get(i);
        ch.eventLoop().execute(() -> pump.pump(ch));
      }
      if (!allReceived.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("raw TLS transfer did not complete: " + received.get() + " of " + expected);
      }
      long nanos = System.nanoTime() - start;
      long cpuNanos = CpuClock.process() - cpuStart;
      long jitNanos = CpuClock.jitCompilers() - jitStart;
      for (Channel ch : connections) {
        ch.close().sync();
      }
      listener.close().sync();
      return new Result(expected / (nanos / 1e9), expected / (cpuNanos / 1e9),
          expected / ((cpuNanos - jitNanos) / 1e9));
    } finally {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
