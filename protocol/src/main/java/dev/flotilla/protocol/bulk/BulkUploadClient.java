package dev.flotilla.protocol.bulk;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.flotilla.protocol.tls.BulkTls;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import io.grpc.Status;
import io.grpc.StatusException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The party's side of the bulk-upload port: the ticket and header, then the data chunks as frames,
 * written only while the connection is writable (no unbounded buffering), and the server's one
 * answer. After an accepted update the connection stays open for the next one (the server closes
 * it when it idles), so a party pays for one TLS handshake, not one per round. Failing to reach the
 * port at all is an IOException (the caller may upload with SubmitUpdate instead); a refusal is a
 * StatusException with the server's code and description, as SubmitUpdate would have given. One
 * upload at a time.
 */
public final class BulkUploadClient implements AutoCloseable {

  private final SslContext context;
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  /** The connection an accepted upload left open, its handler and where it goes; null when none. */
  private Channel kept;
  private Connection keptHandler;
  private String keptTarget;

  /** With an event loop of its own (one daemon thread), closed with the client. */
  public BulkUploadClient(SslContext context) {
    this(context, new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bulk-upload", true),
        NioIoHandler.newFactory()), true);
  }

  /** On {@code group}, which the caller keeps and closes. */
  public BulkUploadClient(SslContext context, EventLoopGroup group) {
    this(context, group, false);
  }

  private BulkUploadClient(SslContext context, EventLoopGroup group, boolean ownsGroup) {
    this.context = context;
    this.group = group;
    this.ownsGroup = ownsGroup;
  }

  /**
   * Uploads one update: {@code chunks} gives an UpdateChunk stream (header first) as SubmitUpdate
   * would send it, pulled on the connection's event loop as the connection drains (asked again if
   * a kept connection turns out closed before the server read anything, and the upload is sent on a
   * new one).
   *
   * @throws IOException the port could not be reached, or the connection ended without an answer
   * @throws StatusException the server refused the update (or DEADLINE_EXCEEDED after {@code timeout})
   */
  public SubmitUpdateResponse upload(String host, int port, String serverName, ByteString ticket,
      Supplier<Iterator<UpdateChunk>> chunks, Duration timeout) throws IOException, StatusException, InterruptedException {
    CompletableFuture<SubmitUpdateResponse> answer = start(host, port, serverName, ticket, chunks);
    try {
      return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      StatusException late = Status.DEADLINE_EXCEEDED.withDescription("no answer on the bulk-upload port within "
          + timeout).asException();
      answer.completeExceptionally(late);
      throw late;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusException s) {
        throw s;
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("the bulk upload failed: " + e.getCause(), e.getCause());
    }
  }

  /**
   * The same without waiting: the answer completes with the server's response, a StatusException
   * (refused) or an IOException (not reached, or no answer).
   */
  public synchronized CompletableFuture<SubmitUpdateResponse> start(String host, int port, String serverName,
      ByteString ticket, Supplier<Iterator<UpdateChunk>> chunks) {
    if (ticket.isEmpty() || ticket.size() > BulkWire.MAX_TICKET_BYTES) {
      throw new IllegalArgumentException("a bulk-upload ticket has 1.." + BulkWire.MAX_TICKET_BYTES + " bytes, got "
          + ticket.size());
    }
    String target = serverName + "@" + host + ":" + port;
    Channel reuse = kept;
    Connection reused = keptHandler;
    kept = null;
    keptHandler = null;
    if (reuse != null && reuse.isActive() && target.equals(keptTarget)) {
      Sender sender = new Sender(ticket, chunks.get());
      reused.current = sender;
      finish(sender, reuse, reused, target);
      reuse.eventLoop().execute(() -> sender.pump(reuse));
      // closed by the server's idle timeout before it read a byte: the ticket is unused, so send it on a new connection
      return sender.answer.handle((response, failure) -> failure == null ? CompletableFuture.completedFuture(response)
          : failure instanceof IOException && !sender.answerStarted
              ? connect(host, port, serverName, ticket, chunks, target)
              : CompletableFuture.<SubmitUpdateResponse>failedFuture(failure)).thenCompose(f -> f);
    }
    if (reuse != null) {
      reuse.close();
    }
    return connect(host, port, serverName, ticket, chunks, target);
  }

  private CompletableFuture<SubmitUpdateResponse> connect(String host, int port, String serverName, ByteString ticket,
      Supplier<Iterator<UpdateChunk>> chunks, String target) {
    Sender sender = new Sender(ticket, chunks.get());
    Connection connection = new Connection(sender);
    // Kept here, not looked up in the pipeline: a connection closed at once has an empty one
    AtomicReference<SslHandler> tls = new AtomicReference<>();
    ChannelFuture connect = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            tls.set(context.newHandler(ch.alloc(), serverName, port));
            ch.pipeline().addLast(tls.get(), connection);
          }
        }).connect(host, port);
    Channel channel = connect.channel();
    finish(sender, channel, connection, target);
    connect.addListener(connected -> {
      if (!connected.isSuccess()) {
        sender.answer.completeExceptionally(new IOException("cannot reach the bulk-upload port " + host + ":" + port
            + ": " + connected.cause().getMessage(), connected.cause()));
        return;
      }
      SslHandler handshaken = tls.get();
      handshaken.handshakeFuture().addListener(handshake -> {
        if (handshake.isSuccess() && !BulkTls.PROTOCOL.equals(handshaken.applicationProtocol())) {
          // e.g. an SNI-routing proxy that sent this connection to the gRPC port: nothing is sent
          sender.answer.completeExceptionally(new IOException(host + ":" + port + " did not negotiate ALPN "
              + BulkTls.PROTOCOL + " (" + handshaken.applicationProtocol() + "): no bulk-upload port there"));
        } else if (handshake.isSuccess()) {
          sender.pump(channel);
        } else {
          sender.answer.completeExceptionally(new IOException("TLS handshake with the bulk-upload port " + host + ":"
              + port + " failed: " + handshake.cause().getMessage(), handshake.cause()));
        }
      });
    });
    return sender.answer;
  }

  /** An accepted upload leaves its connection for the next one; any other end closes it. */
  private void finish(Sender sender, Channel channel, Connection handler, String target) {
    sender.answer.whenComplete((response, failure) -> {
      if (failure == null && channel.isActive()) {
        synchronized (this) {
          if (kept == null) {
            kept = channel;
            keptHandler = handler;
            keptTarget = target;
            return;
          }
        }
      }
      channel.close();
    });
  }

  @Override
  public synchronized void close() {
    if (kept != null) {
      kept.close();
      kept = null;
      keptHandler = null;
    }
    if (ownsGroup) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** The connection's handler: hands events to the upload in progress. */
  private static final class Connection extends ChannelInboundHandlerAdapter {
    volatile Sender current;

    Connection(Sender first) {
      this.current = first;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        current.pump(ctx.channel());
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      current.read(ctx, (ByteBuf) msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      current.answer.completeExceptionally(
          new IOException("the aggregator closed the bulk-upload connection without an answer"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      current.answer.completeExceptionally(new IOException("bulk upload: " + cause.getMessage(), cause));
      ctx.close();
    }
  }

  /** One upload: writes the preamble and frames while the channel is writable; reads the answer. */
  private static final class Sender {
    final CompletableFuture<SubmitUpdateResponse> answer = new CompletableFuture<>();
    private final ByteString ticket;
    private final Iterator<UpdateChunk> chunks;
    private final ByteBuf received = Unpooled.buffer(64);
    private boolean started;
    private boolean ended;
    /** A byte of the server's answer arrived (so the server read the upload). */
    volatile boolean answerStarted;

    Sender(ByteString ticket, Iterator<UpdateChunk> chunks) {
      this.ticket = ticket;
      this.chunks = chunks;
    }

    void pump(Channel ch) {
      if (answer.isDone()) {
        return;
      }
      if (!ch.isActive()) {
        // a kept connection the server closed before this upload was handed to it: nothing was sent
        answer.completeExceptionally(new IOException("the bulk-upload connection closed before the upload started"));
        return;
      }
      if (!started) {
        started = true;
        if (!chunks.hasNext()) {
          answer.completeExceptionally(new IllegalArgumentException("an update stream needs its header"));
          return;
        }
        byte[] header = chunks.next().getHeader().toByteArray();
        ByteBuf preamble = ch.alloc().buffer(4 + 1 + ticket.size() + 4 + header.length);
        preamble.writeBytes(BulkWire.MAGIC).writeByte(ticket.size()).writeBytes(ticket.asReadOnlyByteBuffer())
            .writeInt(header.length).writeBytes(header);
        ch.write(preamble);
      }
      while (!ended && ch.isWritable()) {
        if (chunks.hasNext()) {
          ByteString data = chunks.next().getData();
          ch.write(ch.alloc().buffer(4).writeInt(data.size()));
          ch.write(Unpooled.wrappedBuffer(data.asReadOnlyByteBuffer()));
        } else {
          ended = true;
          ch.write(ch.alloc().buffer(4).writeInt(0));
        }
      }
      ch.flush();
    }

    void read(ChannelHandlerContext ctx, ByteBuf in) {
      try {
        if (answer.isDone()) {
          return; // nothing is due between uploads
        }
        answerStarted = true;
        if (received.readableBytes() + in.readableBytes() > 5 + BulkWire.MAX_ANSWER_BYTES) {
          answer.completeExceptionally(new IOException("the bulk-upload port answered more than "
              + BulkWire.MAX_ANSWER_BYTES + " bytes"));
          ctx.close();
          return;
        }
        received.writeBytes(in);
      } finally {
        in.release();
      }
      if (received.readableBytes() < 5) {
        return;
      }
      int code = received.getUnsignedByte(0);
      long length = received.getUnsignedInt(1);
      if (length > BulkWire.MAX_ANSWER_BYTES) {
        answer.completeExceptionally(new IOException("the bulk-upload port announced an answer of " + length + " bytes"));
        ctx.close();
        return;
      }
      if (received.readableBytes() < 5 + length) {
        return;
      }
      byte[] body = new byte[(int) length];
      received.getBytes(5, body);
      if (code == BulkWire.OK) {
        try {
          answer.complete(SubmitUpdateResponse.parseFrom(body));
        } catch (InvalidProtocolBufferException e) {
          answer.completeExceptionally(new IOException("the bulk-upload port's answer is no SubmitUpdateResponse", e));
        }
      } else {
        answer.completeExceptionally(Status.fromCodeValue(code)
            .withDescription(new String(body, StandardCharsets.UTF_8)).asException());
      }
    }
  }
}
