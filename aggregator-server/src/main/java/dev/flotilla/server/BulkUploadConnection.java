package dev.flotilla.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.bulk.BulkWire;
import dev.flotilla.cli.Durations;
import dev.flotilla.protocol.tls.BulkTls;
import dev.flotilla.protocol.tls.PeerIdentityInterceptor;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.round.Upload;
import dev.flotilla.server.transport.UploadPermits;
import io.grpc.Status;
import io.grpc.StatusException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the bulk-upload port: after the TLS handshake the peer must be a party of the
 * job (the gRPC port's rules); its preamble's ticket must be its own for the open attempt, and its
 * header passes the same admission as SubmitUpdate's; each data frame goes to the same
 * {@link Upload} (decoder, checks, fold), the end frame commits it. Everything is bounded before it
 * is buffered: the preamble, each frame (1 MiB), the bytes read ahead (two frames), the total (the
 * decoder refuses values beyond the model), the time without a byte and the time to a complete
 * preamble.
 * A refusal is answered with its status code and description, then the connection closes; the
 * round goes on for everyone else. An accepted update is answered and the connection stays open for
 * the party's next one (one TLS handshake per party, not per round) until it idles.
 *
 * <p>The event loop decrypts and frames; admission, checks and the fold run on the executor, one
 * step at a time per connection. Frames are read ahead meanwhile (while admission waits, while an
 * earlier frame is folded), straight from the decrypted buffers into their own arrays, within the
 * read-ahead bound: every byte of a frame is copied once.
 */
final class BulkUploadConnection extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(BulkUploadConnection.class);
  /** Read ahead at most this much (frames waiting for admission or the fold): then the socket's own buffers hold the rest. */
  private static final int READ_AHEAD_BYTES = 2 * (BulkWire.MAX_FRAME_BYTES + 4);

  private enum Phase { HANDSHAKE, PREAMBLE, FRAMES, ENDED }

  private final RoundCoordinator coordinator;
  private final PeerIdentityInterceptor identities;
  private final UploadPermits permits;
  private final ServerMetrics metrics;
  private final Executor executor;
  private final int maxHeaderBytes;
  private final Duration idleTimeout;
  private final BulkConnectionSlots slots;
  private final FrameArrays frames;
  /** The pool's arrays lent to the upload in progress: back to the pool once it committed, forgotten if it fails. */
  private final List<byte[]> lent = new ArrayList<>();
  /** The arrays of the upload whose commit is on the executor. */
  private final List<byte[]> committing = new ArrayList<>();
  /** This connection's hold on its party's one slot, once the party is known. */
  private BulkConnectionSlots.Slot slot;
  private ByteBuf pending;
  /** The data frame being read (null between frames), its length (a pooled array is longer) and how many of its bytes arrived. */
  private byte[] frame;
  private int frameLength;
  private int frameFilled;
  /** Data frames read whole and not yet handed to the upload, in order, and their bytes. */
  private final java.util.ArrayDeque<ByteString> ready = new java.util.ArrayDeque<>();
  private int readyBytes;
  /** The update's end frame was read: no frame is read until the next preamble. */
  private boolean endRead;
  /** A frame read ahead of the upload's admission that must be refused once the upload has begun, or null. */
  private Status refusedFrame;
  private Phase phase = Phase.HANDSHAKE;
  private String party;
  private Upload upload;
  /**
   * Set on the event loop once the coordinator has begun {@link #upload}: until then no frame is
   * looked at, so a refused frame always ends a begun upload (and the round records the refusal).
   */
  private boolean uploadBegun;
  private UploadPermits.Permit permit;
  /** A step (admission, a frame, the commit) is on the executor, or the upload waits for a permit. */
  private boolean busy;
  /** Uploads accepted on this connection; and the upload in progress's number (timers of earlier ones do nothing). */
  private int uploads;
  private int generation;
  /** When the current preamble's first byte arrived (the connection, for the first). */
  private long preambleSince;

  BulkUploadConnection(RoundCoordinator coordinator, PeerIdentityInterceptor identities, UploadPermits permits,
      ServerMetrics metrics, Executor executor, int maxHeaderBytes, Duration idleTimeout, BulkConnectionSlots slots,
      FrameArrays frames) {
    this.coordinator = coordinator;
    this.identities = identities;
    this.permits = permits;
    this.metrics = metrics;
    this.executor = executor;
    this.maxHeaderBytes = maxHeaderBytes;
    this.idleTimeout = idleTimeout;
    this.slots = slots;
    this.frames = frames;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    pending = ctx.alloc().buffer(64 * 1024);
    preambleSince = System.nanoTime();
    armPreambleDeadline(ctx, idleTimeout.toNanos());
  }

  /**
   * A preamble must be complete within the idle timeout of its first byte (of connecting, for the
   * first upload); a connection kept after an accepted upload that stays silent that long is closed
   * without a word, since no upload is in progress.
   */
  private void armPreambleDeadline(ChannelHandlerContext ctx, long delayNanos) {
    int armedFor = generation;
    ctx.executor().schedule(() -> {
      if (generation != armedFor || (phase != Phase.HANDSHAKE && phase != Phase.PREAMBLE)) {
        return;
      }
      if (phase == Phase.PREAMBLE && uploads > 0 && pending.readableBytes() == 0) {
        ctx.close();
        return;
      }
      long left = preambleSince + idleTimeout.toNanos() - System.nanoTime();
      if (left > 0) {
        armPreambleDeadline(ctx, left);
        return;
      }
      refuse(ctx, Status.DEADLINE_EXCEEDED.withDescription("no complete ticket and update header within "
          + Durations.format(idleTimeout) + " (--bulk-idle-timeout)"));
    }, delayNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    pending.release();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof SslHandshakeCompletionEvent done) {
      if (!done.isSuccess()) {
        ctx.close(); // the TLS stack has said why to the peer; nothing was read
        return;
      }
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      if (!BulkTls.PROTOCOL.equals(tls.applicationProtocol())) {
        refuse(ctx, Status.FAILED_PRECONDITION.withDescription("the bulk-upload port speaks ALPN " + BulkTls.PROTOCOL
            + ", the client offered " + (tls.applicationProtocol() == null ? "none" : tls.applicationProtocol())));
        return;
      }
      try {
        party = identities.directParty(tls.engine().getSession()).name();
      } catch (StatusException e) {
        refuse(ctx, e.getStatus());
        return;
      }
      slot = slots.claim(party, ctx.channel());
      if (slot == null) {
        refuse(ctx, Status.RESOURCE_EXHAUSTED.withDescription("party '" + party + "' has an upload in progress on "
            + "another bulk-upload connection; the port takes one connection per party"));
        return;
      }
      phase = Phase.PREAMBLE;
      parse(ctx);
    } else if (event instanceof IdleStateEvent && !busy && phase == Phase.FRAMES) {
      refuse(ctx, Status.DEADLINE_EXCEEDED.withDescription("no bytes from party '" + party + "' for "
          + Durations.format(idleTimeout) + " (--bulk-idle-timeout)"));
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    try {
      if (phase == Phase.PREAMBLE && pending.readableBytes() == 0 && uploads > 0) {
        preambleSince = System.nanoTime(); // the next upload's first byte
      }
      if (phase == Phase.FRAMES) {
        readFrames(ctx, in);
      }
      if (phase != Phase.ENDED) {
        pending.writeBytes(in);
      }
    } finally {
      in.release();
    }
    if (heldBytes() > READ_AHEAD_BYTES) {
      ctx.channel().config().setAutoRead(false);
    }
    parse(ctx);
  }

  /** Takes the next complete item off the bytes read, unless a step is in flight. On the event loop. */
  private void parse(ChannelHandlerContext ctx) {
    if (phase == Phase.HANDSHAKE || phase == Phase.ENDED) {
      return;
    }
    if (phase == Phase.PREAMBLE && !busy) {
      preamble(ctx);
    }
    if (phase == Phase.FRAMES) {
      readFrames(ctx, pending); // what came with the preamble
      handOn(ctx);
    }
    if (phase != Phase.ENDED && heldBytes() <= READ_AHEAD_BYTES) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  /** Bytes read and not yet handed on: those waiting in {@code pending}, in frames read whole, and of the frame being read. */
  private int heldBytes() {
    return pending.readableBytes() + readyBytes + frameFilled;
  }

  private void preamble(ChannelHandlerContext ctx) {
    int magic = BulkWire.MAGIC.length;
    if (pending.readableBytes() < magic + 1) {
      return;
    }
    int start = pending.readerIndex();
    byte[] head = new byte[magic];
    pending.getBytes(start, head);
    if (!Arrays.equals(head, BulkWire.MAGIC)) {
      refuse(ctx, Status.INVALID_ARGUMENT.withDescription("the bulk-upload stream must start with \"FLB1\""));
      return;
    }
    int ticketBytes = pending.getUnsignedByte(start + magic);
    if (ticketBytes == 0 || ticketBytes > BulkWire.MAX_TICKET_BYTES) {
      refuse(ctx, Status.INVALID_ARGUMENT.withDescription("a bulk-upload ticket has 1.." + BulkWire.MAX_TICKET_BYTES
          + " bytes, the stream announced " + ticketBytes));
      return;
    }
    int lengthAt = start + magic + 1 + ticketBytes;
    if (pending.writerIndex() < lengthAt + 4) {
      return;
    }
    long headerBytes = pending.getUnsignedInt(lengthAt);
    if (headerBytes > maxHeaderBytes) {
      refuse(ctx, Status.RESOURCE_EXHAUSTED.withDescription("the update header announced " + headerBytes
          + " bytes, more than the " + maxHeaderBytes + " the server accepts (--max-message-kib)"));
      return;
    }
    if (pending.writerIndex() < lengthAt + 4 + headerBytes) {
      return;
    }
    byte[] ticket = new byte[ticketBytes];
    pending.getBytes(start + magic + 1, ticket);
    byte[] header = new byte[(int) headerBytes];
    pending.getBytes(lengthAt + 4, header);
    pending.readerIndex(lengthAt + 4 + (int) headerBytes);
    UpdateHeader parsed;
    try {
      parsed = UpdateHeader.parseFrom(header);
    } catch (InvalidProtocolBufferException e) {
      refuse(ctx, Status.INVALID_ARGUMENT.withDescription("the update header is no UpdateHeader: " + e.getMessage()));
      return;
    }
    if (!slot.beginUpload()) {
      ctx.close(); // a newer connection of the party took its slot and is closing this one
      return;
    }
    metrics.bytesIn(ticketBytes + header.length);
    phase = Phase.FRAMES;
    step(ctx, () -> {
      upload = coordinator.beginBulkUpload(party, ByteString.copyFrom(ticket), parsed);
      // the upload ends by the round's deadline at the latest: it cannot count after it
      long untilDeadline = Duration.between(Instant.now(), upload.round().deadline()).toMillis();
      int armedFor = generation;
      ctx.executor().schedule(() -> {
        if (generation == armedFor && phase != Phase.ENDED) {
          refuse(ctx, Status.DEADLINE_EXCEEDED.withDescription("round " + upload.round().number()
              + " reached its deadline before the update of party '" + party + "' ended"));
        }
      }, Math.max(0, untilDeadline), TimeUnit.MILLISECONDS);
      return null;
    }, ignored -> {
      uploadBegun = true;
      busy = true; // until the permit is granted (at once, or when another upload ends): no data is read before
      permit = permits.request(() -> ctx.executor().execute(() -> {
        if (phase != Phase.ENDED) {
          busy = false;
          parse(ctx);
        }
      }));
      if (!permit.granted()) {
        log.info("job {}: round {}: the bulk upload of party {} waits for one of the --max-concurrent-uploads",
            upload.jobId(), upload.round().number(), party);
      }
    });
  }

  /**
   * Reads data frames from {@code source} (a decrypted buffer, or {@code pending}) straight into
   * their arrays, until the end frame, a refused length, or the source is empty; only a frame's four
   * length bytes pass through {@code pending} (they may straddle two reads). Frames are read ahead of
   * the upload (admission, permit, the fold of earlier frames): channelRead stops reading beyond
   * {@link #READ_AHEAD_BYTES}.
   */
  private void readFrames(ChannelHandlerContext ctx, ByteBuf source) {
    while (phase == Phase.FRAMES && !endRead && refusedFrame == null) {
      if (frame == null) {
        if (source != pending) {
          pending.writeBytes(source, Math.min(Math.max(0, 4 - pending.readableBytes()), source.readableBytes()));
        }
        if (pending.readableBytes() < 4 || !startFrame()) {
          return;
        }
      }
      int n = Math.min(source.readableBytes(), frameLength - frameFilled);
      source.readBytes(frame, frameFilled, n);
      frameFilled += n;
      if (frameFilled < frameLength) {
        return;
      }
      // only the frame's own bytes: the rest of a pooled array holds earlier frames'
      ready.add(UnsafeByteOperations.unsafeWrap(frame, 0, frameLength));
      readyBytes += frameLength;
      frame = null;
      frameFilled = 0;
    }
  }

  /**
   * Takes the next frame's length off {@code pending}: the end frame marks the update's end; a data
   * frame gets an array (the fold may keep views of its bytes until the upload ends: see
   * {@link FrameArrays}); a frame beyond the limit is refused (once the upload has begun, so that
   * the round records it). Returns whether a data frame is now being read.
   */
  private boolean startFrame() {
    long length = pending.readUnsignedInt();
    pending.discardSomeReadBytes();
    if (length > BulkWire.MAX_FRAME_BYTES) {
      refusedFrame = Status.RESOURCE_EXHAUSTED.withDescription("update of party '" + party + "' refused: a data frame "
          + "of " + length + " bytes, more than " + BulkWire.MAX_FRAME_BYTES);
      return false;
    }
    if (length == 0) {
      endRead = true;
      return false;
    }
    frameLength = (int) length;
    frame = frameLength >= FrameArrays.SMALLEST_POOLED_FRAME ? frames.take() : null;
    if (frame != null) {
      lent.add(frame);
    } else {
      frame = new byte[frameLength];
    }
    return true;
  }

  /** Once the upload has begun: hands it the next frame read, then the end (commit), one step at a time. */
  private void handOn(ChannelHandlerContext ctx) {
    if (!uploadBegun) {
      return; // admission is still on the executor; the step's end parses again
    }
    if (refusedFrame != null) {
      refuse(ctx, refusedFrame);
      return;
    }
    if (busy) {
      return;
    }
    ByteString data = ready.poll();
    if (data != null) {
      readyBytes -= data.size();
      metrics.bytesIn(4 + data.size());
      step(ctx, () -> {
        upload.accept(data);
        return null;
      }, ignored -> { });
      return;
    }
    if (!endRead) {
      return;
    }
    // this upload's arrays: no frame is read after the end frame until the next preamble
    committing.addAll(lent);
    lent.clear();
    step(ctx, () -> {
      String note = upload.commit();
      coordinator.completeUpload(upload, note);
      return SubmitUpdateResponse.newBuilder().setRound(upload.round().number())
          .setValuesReceived(upload.valuesReceived()).build();
    }, response -> {
      // the connection stays for the party's next upload
      releasePermit();
      committing.forEach(frames::giveBack); // committed: the sink keeps no view of them
      committing.clear();
      slot.endUpload();
      upload = null;
      uploadBegun = false;
      endRead = false;
      uploads++;
      generation++;
      phase = Phase.PREAMBLE;
      preambleSince = System.nanoTime();
      armPreambleDeadline(ctx, idleTimeout.toNanos());
      ctx.writeAndFlush(ctx.alloc().buffer(5 + response.getSerializedSize()).writeByte(BulkWire.OK)
          .writeInt(response.getSerializedSize()).writeBytes(response.toByteArray()));
    });
  }

  /** A step that may block (the job's lock, the spool): on the executor; {@code then} back on the event loop. */
  private <T> void step(ChannelHandlerContext ctx, Step<T> work, java.util.function.Consumer<T> then) {
    busy = true;
    executor.execute(() -> {
      try {
        T result = work.run();
        ctx.executor().execute(() -> {
          if (phase == Phase.ENDED) {
            return; // refused meanwhile (e.g. the round's deadline): the refusal has answered
          }
          busy = false;
          then.accept(result);
          parse(ctx);
        });
      } catch (StatusException e) {
        ctx.executor().execute(() -> refuse(ctx, e.getStatus()));
      } catch (IOException e) {
        // the commit or the spool failed on the server's side: not a refusal of the update
        Status status = UpdateReceiver.serverFailure(party, e);
        ctx.executor().execute(() -> fail(ctx, status, true));
      } catch (RuntimeException e) {
        log.error("job {}: the bulk upload of party {} failed", coordinator.jobId(), party, e);
        Status status = Status.INTERNAL.withDescription("the server failed on the update of party '" + party + "'");
        ctx.executor().execute(() -> fail(ctx, status, true));
      }
    });
  }

  @FunctionalInterface
  private interface Step<T> {
    T run() throws StatusException, IOException;
  }

  private void refuse(ChannelHandlerContext ctx, Status status) {
    fail(ctx, status, false);
  }

  /** Ends the upload (if any) with {@code status}, answers it and closes. On the event loop. */
  private void fail(ChannelHandlerContext ctx, Status status, boolean serverFault) {
    if (phase == Phase.ENDED) {
      return;
    }
    phase = Phase.ENDED;
    releasePermit();
    forgetLent();
    Upload begun = upload;
    if (begun != null) {
      executor.execute(() -> coordinator.failUpload(begun, status, UpdateReceiver.refusesContent(status), serverFault));
    } else if (party != null) {
      log.warn("job {}: bulk upload of party {} refused: {} {}", coordinator.jobId(), party, status.getCode(),
          status.getDescription());
    } else {
      log.warn("job {}: bulk-upload connection from {} refused: {} {}", coordinator.jobId(), ctx.channel().remoteAddress(),
          status.getCode(), status.getDescription());
    }
    answer(ctx, status.getCode().value(), BulkWire.description(status.getDescription()));
  }

  /** A refusal's answer; the connection closes once it is written. */
  private void answer(ChannelHandlerContext ctx, int code, byte[] body) {
    ctx.channel().config().setAutoRead(true); // read (and drop) until the peer sees the answer and closes
    ByteBuf out = ctx.alloc().buffer(5 + body.length).writeByte(code).writeInt(body.length).writeBytes(body);
    ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (slot != null) {
      slots.release(party, slot);
    }
    if (phase != Phase.ENDED) {
      phase = Phase.ENDED;
      releasePermit();
      forgetLent();
      Upload begun = upload;
      if (begun != null) {
        Status lost = Status.UNAVAILABLE.withDescription("the bulk-upload connection of party '" + party
            + "' closed before the update ended");
        executor.execute(() -> coordinator.failUpload(begun, lost, false, false));
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("job {}: bulk-upload connection of {}: {}", coordinator.jobId(), party, cause.toString());
    ctx.close();
  }

  /**
   * The upload failed: a step or its sink may still read the lent arrays, so they never go back to
   * the pool; unless the upload never began, when no step has seen a frame (they were read ahead).
   */
  private void forgetLent() {
    if (uploadBegun) {
      frames.forget(lent.size() + committing.size());
    } else {
      lent.forEach(frames::giveBack);
      frames.forget(committing.size());
    }
    lent.clear();
    committing.clear();
    ready.clear();
    readyBytes = 0;
  }

  private void releasePermit() {
    if (permit != null) {
      permit.release();
      permit = null;
    }
  }
}
