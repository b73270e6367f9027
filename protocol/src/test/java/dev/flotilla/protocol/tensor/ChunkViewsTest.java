package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ChunkViewsTest {

  private static byte[] joined(List<ByteBuffer> parts) {
    ByteBuffer all = ByteBuffer.allocate(parts.stream().mapToInt(ByteBuffer::remaining).sum());
    parts.forEach(p -> all.put(p.duplicate()));
    return all.array();
  }

  @Test
  @DisplayName("a chunk that wraps an array (as the receivers make them) is seen through that array, at its offset, without a copy")
  void wrappedArrayIsSeenInPlace() {
    byte[] array = new byte[64];
    for (int i = 0; i < array.length; i++) {
      array[i] = (byte) i;
    }
    List<ByteBuffer> parts = ChunkViews.of(UnsafeByteOperations.unsafeWrap(array, 8, 40));
    assertThat(parts).hasSize(1);
    ByteBuffer view = parts.get(0);
    assertThat(view.hasArray()).isTrue();
    assertThat(view.array()).isSameAs(array);
    assertThat(view.arrayOffset()).isEqualTo(8);
    assertThat(view.position()).isZero();
    assertThat(view.remaining()).isEqualTo(40);
    assertThat(view.get(0)).isEqualTo((byte) 8);
  }

  @Test
  @DisplayName("a rope of pieces, a direct buffer and the empty chunk give their bytes in order")
  void everyKindOfChunkGivesItsBytesInOrder() {
    ByteString rope = ByteString.copyFrom(new byte[] {1, 2, 3}).concat(UnsafeByteOperations.unsafeWrap(new byte[] {4, 5}))
        .concat(ByteString.copyFromUtf8("xyz"));
    assertThat(joined(ChunkViews.of(rope))).containsExactly(rope.toByteArray());
    ByteBuffer direct = ByteBuffer.allocateDirect(6).put(new byte[] {9, 8, 7, 6, 5, 4}).flip();
    assertThat(joined(ChunkViews.of(UnsafeByteOperations.unsafeWrap(direct)))).containsExactly(9, 8, 7, 6, 5, 4);
    assertThat(joined(ChunkViews.of(ByteString.EMPTY))).isEmpty();
  }
}
