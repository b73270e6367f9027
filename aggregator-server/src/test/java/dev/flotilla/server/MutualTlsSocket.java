package dev.flotilla.server;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A party's mutual-TLS connection to the gRPC port (its certificate, ALPN h2, as a gRPC channel
 * makes it) that finishes the handshake and then sends nothing: what a party holding a valid
 * certificate can do to take up connections without a single call.
 */
final class MutualTlsSocket implements AutoCloseable {

  private final Channel channel;

  /** Connects and waits for the TLS handshake. */
  MutualTlsSocket(EventLoopGroup group, int port, TlsFiles party) throws InterruptedException {
    this(group, port, party, Identity.server(party.identity().trustDomain(), party.identity().job(),
        party.identity().job()));
  }

  /** Connects with any certificate of the CA ({@code credentials}) to {@code aggregator}, and waits for the TLS handshake. */
  MutualTlsSocket(EventLoopGroup group, int port, TlsFiles credentials, Identity aggregator) throws InterruptedException {
    var context = MutualTlsChannels.sslContext(credentials, ExpectedPeer.aggregatorOf(aggregator));
    // Kept from the initializer: a connection the server closes at once (past a cap) has an empty pipeline
    AtomicReference<SslHandler> tls = new AtomicReference<>();
    channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            tls.set(context.newHandler(ch.alloc(), aggregator.serverHost(), port));
            ch.pipeline().addLast(tls.get());
          }
        }).connect("127.0.0.1", port).sync().channel();
    // Done either way: the caller counts which connections the server left open
    tls.get().handshakeFuture().await();
  }

  /** Whether the server has not closed it (yet). */
  boolean isOpen() {
    return channel.isActive();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
