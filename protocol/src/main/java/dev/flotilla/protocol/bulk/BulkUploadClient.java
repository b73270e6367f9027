package dev.flotilla.protocol.bulk;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import io.grpc.Status;
import io.grpc.StatusException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
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

/**
 * The party's side of the bulk-upload port: one TLS connection per update, the ticket and header,
 * then the data chunks as frames, written only while the connection is writable (no unbounded
 * buffering), and the server's one answer. Failing to reach the port at all is an IOException (the
 * caller may upload with SubmitUpdate instead); a refusal is a StatusException with the server's
 * code and description, as SubmitUpdate would have given.
 */
public final class BulkUploadClient implements AutoCloseable {

  private final SslContext context;
  private final EventLoopGroup group;
  private final boolean ownsGroup;

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
   * Uploads one update: {@code chunks} is an UpdateChunk stream (header first) as SubmitUpdate
   * would send it; pulled on the connection's event loop as the connection drains.
   *
   * @throws IOException the port could not be reached, or the connection ended without an answer
   * @throws StatusException the server refused the update (or DEADLINE_EXCEEDED after {@code timeout})
   */
  public SubmitUpdateResponse upload(String host, int port, String serverName, ByteString ticket,
      Iterator<UpdateChunk> chunks, Duration timeout) throws IOException, StatusException, InterruptedException {
    if (ticket.isEmpty() || ticket.size() > BulkWire.MAX_TICKET_BYTES) {
      throw new IllegalArgumentException("a bulk-upload ticket has 1.." + BulkWire.MAX_TICKET_BYTES + " bytes, got "
          + ticket.size());
    }
    Sender sender = new Sender(ticket, chunks);
    Channel channel;
    try {
      channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(context.newHandler(ch.alloc(), serverName, port), sender);
            }
          }).connect(host, port).sync().channel();
      channel.pipeline().get(SslHandler.class).handshakeFuture().sync();
    } catch (Exception e) {
      if (e instanceof InterruptedException i) {
        throw i;
      }
      throw new IOException("cannot reach the bulk-upload port " + host + ":" + port + ": " + e.getMessage(), e);
    }
    try {
      channel.eventLoop().execute(() -> sender.pump(channel));
      return sender.answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription("no answer on the bulk-upload port within " + timeout).asException();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusException s) {
        throw s;
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("the bulk upload failed: " + e.getCause(), e.getCause());
    } finally {
      channel.close();
    }
  }

  @Override
  public void close() {
    if (ownsGroup) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** Writes the preamble and frames while the channel is writable; reads the answer. */
  private static final class Sender extends ChannelInboundHandlerAdapter {
    final CompletableFuture<SubmitUpdateResponse> answer = new CompletableFuture<>();
    private final ByteString ticket;
    private final Iterator<UpdateChunk> chunks;
    private final ByteBuf received = Unpooled.buffer(64);
    private boolean started;
    private boolean ended;

    Sender(ByteString ticket, Iterator<UpdateChunk> chunks) {
      this.ticket = ticket;
      this.chunks = chunks;
    }

    void pump(Channel ch) {
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
      while (!ended && !answer.isDone() && ch.isWritable()) {
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

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (started && ctx.channel().isWritable()) {
        pump(ctx.channel());
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      try {
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
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      answer.completeExceptionally(new IOException("the aggregator closed the bulk-upload connection without an answer"));
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      answer.completeExceptionally(new IOException("bulk upload: " + cause.getMessage(), cause));
      ctx.close();
    }
  }
}
