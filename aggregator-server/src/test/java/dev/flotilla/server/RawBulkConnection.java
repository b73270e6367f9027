package dev.flotilla.server;

import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A party's mutual-TLS connection to the bulk-upload port that writes whatever bytes a test gives
 * it (hostile frames, stalls) and reads the server's one answer.
 */
final class RawBulkConnection implements AutoCloseable {

  /** The server's answer: its code (0 accepted, else a gRPC status code) and body. */
  record Answer(int code, byte[] body) {
    String description() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;
  private final CompletableFuture<Answer> answer = new CompletableFuture<>();

  RawBulkConnection(int port, TlsFiles party) throws Exception {
    var context = MutualTlsChannels.bulkSslContext(party, ExpectedPeer.aggregatorOf(party.identity()));
    ByteBuf received = Unpooled.buffer();
    // Kept from the initializer: a connection the server closes at once has an empty pipeline
    AtomicReference<SslHandler> tls = new AtomicReference<>();
    channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            tls.set(context.newHandler(ch.alloc(), party.identity().serverHost(), port));
            ch.pipeline().addLast(tls.get(),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf in = (ByteBuf) msg;
                    received.writeBytes(in);
                    in.release();
                    if (received.readableBytes() >= 5 && received.readableBytes() >= 5 + received.getInt(1)) {
                      byte[] body = new byte[received.getInt(1)];
                      received.getBytes(5, body);
                      answer.complete(new Answer(received.getUnsignedByte(0), body));
                    }
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    answer.completeExceptionally(new AssertionError("closed without an answer"));
                  }
                });
          }
        }).connect("127.0.0.1", port).sync().channel();
    tls.get().handshakeFuture().sync();
  }

  RawBulkConnection write(byte[] bytes) throws InterruptedException {
    channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).await(30, TimeUnit.SECONDS);
    return this;
  }

  /** Whether the connection is still open (the server has not closed it). */
  boolean isOpen() {
    return channel.isActive();
  }

  /** The server's answer, waiting up to a minute. */
  Answer answer() throws Exception {
    return answer.get(1, TimeUnit.MINUTES);
  }

  @Override
  public void close() {
    channel.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
