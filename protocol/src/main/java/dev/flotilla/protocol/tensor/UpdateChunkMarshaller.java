package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.UpdateChunk;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the server's incoming {@code UpdateChunk}s without copying their values. grpc's protobuf
 * marshaller reads each message into a per-thread array and protobuf copies the data field out of
 * it again; a data chunk (one field, tag 2, the rest of the message) is here taken over from the
 * transport: its buffers are detached from grpc ({@link Detachable}) and the chunk's {@code data}
 * is a view of them ({@link HasByteBuffer}), one piece per HTTP/2 DATA frame. Such a chunk holds
 * pooled transport memory until {@link #release} is called for it, which the receiver does once
 * it has consumed the chunk. Where the transport cannot hand over its buffers, a data chunk is read
 * once into an array of its exact size. Any other message (the header, unknown or repeated fields)
 * is parsed by protobuf as before.
 *
 * <p>The transport has refused a message above the server's limit before {@code parse} runs, so a
 * chunk holds at most that much.
 */
public final class UpdateChunkMarshaller implements MethodDescriptor.Marshaller<UpdateChunk> {

  /** Field 2 (data), wire type 2 (length-delimited). */
  private static final int DATA_TAG = (UpdateChunk.DATA_FIELD_NUMBER << 3) | 2;

  private static final MethodDescriptor.Marshaller<UpdateChunk> PROTOBUF =
      ProtoUtils.marshaller(UpdateChunk.getDefaultInstance());

  /** Chunks whose data is a view of transport buffers, with the stream that owns those buffers. */
  private static final Map<UpdateChunk, InputStream> HELD = Collections.synchronizedMap(new IdentityHashMap<>());

  /**
   * Gives the transport buffers under a chunk's data back to the pool (a chunk that holds none: no
   * effect). After this the chunk's data must not be read.
   */
  public static void release(UpdateChunk chunk) {
    InputStream owner = HELD.remove(chunk);
    if (owner != null) {
      try {
        owner.close();
      } catch (IOException e) {
        throw new IllegalStateException("grpc could not release a chunk's buffers", e); // its buffers never throw
      }
    }
  }

  /** Chunks whose buffers are not yet released (for tests: every chunk received must be released). */
  public static int held() {
    return HELD.size();
  }

  /** The service with this marshaller for SubmitUpdate's requests; every other method unchanged. */
  public static ServerServiceDefinition install(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      builder.addMethod(withMarshaller(method));
    }
    return builder.build();
  }

  @SuppressWarnings("unchecked")
  private static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> withMarshaller(ServerMethodDefinition<ReqT, RespT> method) {
    MethodDescriptor<ReqT, RespT> descriptor = method.getMethodDescriptor();
    if (!descriptor.getFullMethodName().equals(FederationGrpc.getSubmitUpdateMethod().getFullMethodName())) {
      return method;
    }
    MethodDescriptor<ReqT, RespT> replaced = descriptor.toBuilder()
        .setRequestMarshaller((MethodDescriptor.Marshaller<ReqT>) new UpdateChunkMarshaller()).build();
    return ServerMethodDefinition.create(replaced, method.getServerCallHandler());
  }

  @Override
  public InputStream stream(UpdateChunk value) {
    return PROTOBUF.stream(value);
  }

  @Override
  public UpdateChunk parse(InputStream stream) {
    try {
      if (!(stream instanceof KnownLength)) {
        return PROTOBUF.parse(stream);
      }
      int size = stream.available();
      // the prefix: tag and length of a data field (at most 1 + 5 bytes), read byte by byte
      byte[] prefix = new byte[Math.min(size, 6)];
      int prefixLength = 0;
      long dataLength = -1;
      if (size >= 2 && (prefix[prefixLength++] = (byte) stream.read()) == DATA_TAG) {
        long value = 0;
        for (int shift = 0; prefixLength < prefix.length; shift += 7) {
          int b = stream.read();
          prefix[prefixLength++] = (byte) b;
          value |= (long) (b & 0x7f) << shift;
          if ((b & 0x80) == 0) {
            dataLength = value;
            break;
          }
        }
      }
      if (dataLength == size - prefixLength && dataLength > 0 && canDetach(stream)) {
        return aliased(((Detachable) stream).detach());
      }
      if (dataLength == size - prefixLength) {
        // one data field to the end: its bytes go straight into the chunk's own array
        byte[] data = new byte[(int) dataLength];
        readFully(stream, data, 0, data.length, size);
        return UpdateChunk.newBuilder().setData(UnsafeByteOperations.unsafeWrap(data)).build();
      }
      byte[] message = new byte[size];
      System.arraycopy(prefix, 0, message, 0, prefixLength);
      readFully(stream, message, prefixLength, size - prefixLength, size);
      return UpdateChunk.parseFrom(message);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
    } catch (IOException e) {
      throw Status.INTERNAL.withDescription("cannot read an update chunk: " + e.getMessage()).withCause(e)
          .asRuntimeException();
    }
  }

  private static boolean canDetach(InputStream stream) {
    return stream instanceof Detachable && stream instanceof HasByteBuffer && ((HasByteBuffer) stream).byteBufferSupported()
        && stream.markSupported();
  }

  /** A data chunk whose data is a view of the detached stream's buffers, held until {@link #release}. */
  private static UpdateChunk aliased(InputStream owner) throws IOException {
    try {
      List<ByteString> pieces = new ArrayList<>();
      // grpc frees each buffer a read moves past, unless marked: the mark keeps them all until close
      owner.mark(owner.available());
      while (owner.available() > 0) {
        ByteBuffer piece = ((HasByteBuffer) owner).getByteBuffer();
        if (piece == null || !piece.hasRemaining()) {
          throw new IOException("the transport gave no buffer for " + owner.available() + " announced bytes");
        }
        int length = piece.remaining();
        pieces.add(UnsafeByteOperations.unsafeWrap(piece.asReadOnlyBuffer()));
        if (owner.skip(length) != length) {
          throw new IOException("message size inaccurate: " + length + " bytes could not be skipped");
        }
      }
      // a balanced rope over the pieces: no bytes are copied (but pieces under 128 bytes, joined)
      UpdateChunk chunk = UpdateChunk.newBuilder().setData(ByteString.copyFrom(pieces)).build();
      HELD.put(chunk, owner);
      return chunk;
    } catch (IOException | RuntimeException e) {
      owner.close();
      throw e;
    }
  }

  private static void readFully(InputStream stream, byte[] into, int at, int length, int announced) throws IOException {
    int read = stream.readNBytes(into, at, length);
    if (read != length || stream.read() != -1) {
      throw new IOException("message size inaccurate: " + announced + " bytes announced");
    }
  }
}
