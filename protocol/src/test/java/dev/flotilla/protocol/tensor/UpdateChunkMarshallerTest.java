package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.KnownLength;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UpdateChunkMarshallerTest {

  /** A message as the transport hands it over: a stream that knows its length. */
  private static final class Framed extends ByteArrayInputStream implements KnownLength {
    Framed(byte[] bytes) {
      super(bytes);
    }
  }

  private static UpdateChunk parse(byte[] bytes) {
    return new UpdateChunkMarshaller().parse(new Framed(bytes));
  }

  private static byte[] data(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  /** Encodes fields by hand, as a sender other than protobuf-java might. */
  private static byte[] fields(Object... tagAndValue) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (int i = 0; i < tagAndValue.length; i += 2) {
      int field = (Integer) tagAndValue[i];
      Object v = tagAndValue[i + 1];
      if (v instanceof byte[] b) {
        out.writeByteArray(field, b);
      } else {
        out.writeInt64(field, (Long) v);
      }
    }
    out.flush();
    return bytes.toByteArray();
  }

  @Test
  @DisplayName("every message parses to what protobuf parses: data chunks of any size, the header, the empty message, unknown and repeated fields")
  void sameAsProtobuf() throws Exception {
    List<byte[]> messages = List.of(
        UpdateChunk.newBuilder().setData(ByteString.copyFrom(data(1 << 20))).build().toByteArray(),
        UpdateChunk.newBuilder().setData(ByteString.copyFrom(data(100))).build().toByteArray(),
        UpdateChunk.newBuilder().setData(ByteString.copyFrom(data(1))).build().toByteArray(),
        UpdateChunk.newBuilder().setData(ByteString.EMPTY).build().toByteArray(),
        UpdateChunk.newBuilder().setHeader(UpdateHeader.newBuilder().setRound(3).setNumSamples(12)).build().toByteArray(),
        new byte[0],
        fields(2, data(10), 9, 5L), // a data field then an unknown field
        fields(2, data(10), 2, data(4)), // two data fields: the last wins
        fields(9, 5L, 2, data(10))); // an unknown field first
    for (byte[] m : messages) {
      UpdateChunk expected = UpdateChunk.parseFrom(m);
      UpdateChunk got = parse(m);
      assertThat(got).isEqualTo(expected);
      assertThat(got.toByteArray()).isEqualTo(expected.toByteArray());
    }
  }

  @Test
  @DisplayName("a data chunk's data is an array of its own, starting at buffer position 0 (callers index the buffer absolutely)")
  void ownArray() {
    byte[] payload = data(1 << 20);
    UpdateChunk got = parse(UpdateChunk.newBuilder().setData(ByteString.copyFrom(payload)).build().toByteArray());
    java.nio.ByteBuffer buffer = got.getData().asReadOnlyByteBuffer();
    assertThat(buffer.position()).isZero();
    assertThat(buffer.remaining()).isEqualTo(payload.length);
    assertThat(buffer.get(0)).isEqualTo(payload[0]);
    // a length varint longer than the message is not the fast path; protobuf refuses it
    assertThatThrownBy(() -> parse(new byte[] {0x12, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}))
        .isInstanceOf(StatusRuntimeException.class);
  }

  @Test
  @DisplayName("a malformed message is refused with INTERNAL 'Invalid protobuf byte sequence', as grpc's own marshaller does")
  void malformed() {
    byte[] truncated = {0x12, 0x10, 1, 2, 3}; // announces 16 bytes of data, carries 3
    assertThatThrownBy(() -> parse(truncated)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(e.getStatus().getDescription()).isEqualTo("Invalid protobuf byte sequence");
    });
  }

  @Test
  @DisplayName("a stream of unknown length (an in-process call) is parsed by protobuf")
  void unknownLength() {
    UpdateChunk chunk = UpdateChunk.newBuilder().setData(ByteString.copyFrom(data(77))).build();
    InputStream plain = new java.io.BufferedInputStream(new ByteArrayInputStream(chunk.toByteArray()));
    assertThat(new UpdateChunkMarshaller().parse(plain)).isEqualTo(chunk);
  }

  @Test
  @DisplayName("install swaps the request marshaller of SubmitUpdate only, keeping every method and its handler")
  void install() {
    ServerServiceDefinition original = new FederationGrpc.FederationImplBase() {
      @Override
      public StreamObserver<UpdateChunk> submitUpdate(StreamObserver<SubmitUpdateResponse> responseObserver) {
        return null;
      }
    }.bindService();
    ServerServiceDefinition installed = UpdateChunkMarshaller.install(original);
    assertThat(installed.getMethods()).hasSameSizeAs(original.getMethods());
    for (var method : installed.getMethods()) {
      var before = original.getMethod(method.getMethodDescriptor().getFullMethodName());
      assertThat(method.getServerCallHandler()).isSameAs(before.getServerCallHandler());
      boolean submit = method.getMethodDescriptor().getFullMethodName()
          .equals(FederationGrpc.getSubmitUpdateMethod().getFullMethodName());
      assertThat(method.getMethodDescriptor().getRequestMarshaller() instanceof UpdateChunkMarshaller).isEqualTo(submit);
      assertThat(method.getMethodDescriptor().getResponseMarshaller())
          .isSameAs(before.getMethodDescriptor().getResponseMarshaller());
    }
  }
}
