package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.WireEncoding;
import io.grpc.Status;
import io.grpc.StatusException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UploadTest {

  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {2, 3}),
      new TensorSpec("b", new long[] {2}));
  private final RecordingSink sink = new RecordingSink();
  private final Upload upload = new Upload("jobU", "alice", new Round(4, 1, Instant.EPOCH), 10, Map.of(), SPECS, sink);

  private static ByteString floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return ByteString.copyFrom(b.array());
  }

  private static void assertStatus(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Status.Code code,
      String description) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).isEqualTo(description);
    });
  }

  @Test
  @DisplayName("checked chunks reach the sink tensor by tensor across chunk borders; a complete update commits with the sink's note")
  void feedsTheSinkAndCommits() throws Exception {
    upload.accept(floats(1, 2, 3, 4));
    upload.accept(floats(5, 6, 7, 8));
    assertThat(sink.blocks).extracting(RecordingSink.Block::tensor, RecordingSink.Block::offset)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 0), org.assertj.core.groups.Tuple.tuple(0, 4),
            org.assertj.core.groups.Tuple.tuple(1, 0));
    assertThat(sink.blocks.get(1).values()).containsExactly(5, 6);
    assertThat(sink.blocks.get(2).values()).containsExactly(7, 8);
    assertThat(upload.commit()).isEqualTo("note");
    assertThat(sink.committed).isTrue();
    assertThat(upload.valuesReceived()).isEqualTo(8);
    assertThat(upload.discard()).as("a committed update is not taken back").isFalse();
    assertThat(sink.discarded).isFalse();
  }

  @Test
  @DisplayName("a chunk of broken floats, one beyond the model and one with NaN are refused with what was wrong; none reaches the sink")
  void refusesBadChunks() throws Exception {
    assertStatus(() -> upload.accept(ByteString.copyFrom(new byte[6])), Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' refused: data chunk of 6 bytes is not a whole number of float32 values");
    assertStatus(() -> upload.accept(floats(new float[9])), Status.Code.RESOURCE_EXHAUSTED,
        "update of party 'alice' refused: stream carries more than the 8 float32 values of the model (9 so far)");
    assertStatus(() -> upload.accept(ByteString.copyFrom(new byte[TensorChunks.MAX_CHUNK_BYTES + 4])),
        Status.Code.RESOURCE_EXHAUSTED, "update of party 'alice' refused: data chunk of 1048580 bytes exceeds the limit "
            + "of 1048576 bytes");
    upload.accept(floats(1, 2, 3, 4, 5, 6));
    assertStatus(() -> upload.accept(floats(0, Float.NaN)), Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' refused: tensor 'b' element 1 is NaN");
    assertThat(sink.blocks).hasSize(1);
  }

  @Test
  @DisplayName("an update that ends early is refused naming how many values arrived; discarding it reaches the sink")
  void incompleteUpdate() throws Exception {
    upload.accept(floats(1, 2, 3));
    assertStatus(upload::commit, Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' ended after 3 of 8 float32 values");
    assertThat(upload.discard()).isTrue();
    assertThat(sink.discarded).isTrue();
    assertThat(sink.committed).isFalse();
  }

  @Test
  @DisplayName("after the round closed it (discard), every further chunk or commit is DEADLINE_EXCEEDED")
  void closedByTheRound() throws Exception {
    upload.accept(floats(1, 2));
    assertThat(upload.discard()).isTrue();
    assertStatus(() -> upload.accept(floats(3)), Status.Code.DEADLINE_EXCEEDED,
        "round 4 of job jobU closed before the update of party 'alice' completed");
    assertStatus(upload::commit, Status.Code.DEADLINE_EXCEEDED,
        "round 4 of job jobU closed before the update of party 'alice' completed");
    assertThat(sink.committed).isFalse();
  }

  @Test
  @DisplayName("a bf16 upload takes 2 bytes a value: values reach the sink widened to float32; an odd-length chunk is INVALID_ARGUMENT, one beyond the model RESOURCE_EXHAUSTED, an infinity INVALID_ARGUMENT")
  void bfloat16Upload() throws Exception {
    RecordingSink halves = new RecordingSink();
    Upload bf16 = new Upload("jobU", "alice", new Round(4, 1, Instant.EPOCH), 10, Map.of(), SPECS,
        WireEncoding.BFLOAT16, halves);
    assertStatus(() -> bf16.accept(ByteString.copyFrom(new byte[5])), Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' refused: data chunk of 5 bytes is not a whole number of bfloat16 values");
    assertStatus(() -> bf16.accept(ByteString.copyFrom(new byte[18])), Status.Code.RESOURCE_EXHAUSTED,
        "update of party 'alice' refused: stream carries more than the 8 bfloat16 values of the model (9 so far)");
    // 1, -2, 1 + 2^-7, and 0.5 as bfloat16, then 3 more and an infinity
    bf16.accept(ByteString.copyFrom(new byte[] {(byte) 0x80, 0x3f, 0x00, (byte) 0xc0, (byte) 0x81, 0x3f, 0x00, 0x3f}));
    assertThat(halves.blocks.get(0).values()).containsExactly(1f, -2f, 1.0078125f, 0.5f);
    assertStatus(() -> bf16.accept(ByteString.copyFrom(new byte[] {0, 0, 0, 0, (byte) 0x80, 0x7f, 0, 0})),
        Status.Code.INVALID_ARGUMENT, "update of party 'alice' refused: tensor 'b' element 0 is Infinity");
    assertStatus(bf16::commit, Status.Code.INVALID_ARGUMENT,
        "update of party 'alice' ended after 6 of 8 bfloat16 values");
  }
}
