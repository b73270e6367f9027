package dev.flotilla.protocol.tensor;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.UpdateChunk;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;

/**
 * Parses the server's incoming {@code UpdateChunk}s with one copy instead of two. grpc's protobuf
 * marshaller reads each message into a per-thread array and protobuf copies the data field out of
 * it again; a data chunk (one field, tag 2, the rest of the message) is here read once from the
 * transport's buffers into an array of its exact size, and the chunk's {@code data} is that array.
 * Any other message (the header, unknown or repeated fields) is parsed by protobuf as before.
 *
 * <p>The transport has refused a message above the server's limit before {@code parse} runs, so
 * the array is at most that size.
 */
public final class UpdateChunkMarshaller implements MethodDescriptor.Marshaller<UpdateChunk> {

  /** Field 2 (data), wire type 2 (length-delimited). */
  private static final int DATA_TAG = (UpdateChunk.DATA_FIELD_NUMBER << 3) | 2;

  private static final MethodDescriptor.Marshaller<UpdateChunk> PROTOBUF =
      ProtoUtils.marshaller(UpdateChunk.getDefaultInstance());

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

  private static void readFully(InputStream stream, byte[] into, int at, int length, int announced) throws IOException {
    int read = stream.readNBytes(into, at, length);
    if (read != length || stream.read() != -1) {
      throw new IOException("message size inaccurate: " + announced + " bytes announced");
    }
  }
}
