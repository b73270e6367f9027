package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.DType;
import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Counting in a model of more than 2^31 values (12 GiB of float32), without allocating one. */
class LargeLayoutTest {

  /** Three tensors of 2^30 values each: 3 * 2^30 values, beyond int. */
  private static final List<TensorSpec> LAYOUT = List.of(
      new TensorSpec("a", new long[] {1 << 15, 1 << 15}),
      new TensorSpec("b", new long[] {1 << 30}, DType.F64),
      new TensorSpec("c", new long[] {2, 1 << 29}, DType.BF16));
  private static final long TOTAL = 3L << 30;

  @Test
  @DisplayName("the stream decoder counts values and places positions as longs beyond 2^31 values")
  void decoderCountsInLongs() throws TensorStreamException {
    TensorStreamDecoder decoder = new TensorStreamDecoder(LAYOUT);
    assertThat(decoder.valuesExpected()).isEqualTo(TOTAL);
    assertThat(decoder.describe((1L << 31) + 5)).isEqualTo("tensor 'c' element 5");
    assertThat(decoder.describe(TOTAL - 1)).isEqualTo("tensor 'c' element 1073741823");
    assertThat(decoder.describe(TOTAL)).isEqualTo("value 3221225472 (beyond the model)");
    ByteString one = ByteString.copyFrom(new byte[4]);
    decoder.check(one, TOTAL - 1); // the last value fits
    assertThatThrownBy(() -> decoder.check(ByteString.copyFrom(new byte[8]), TOTAL - 1))
        .hasMessage("stream carries more than the 3221225472 float32 values of the model (3221225473 so far)");
  }

  @Test
  @DisplayName("tensor sizes in a model file are longs: 2^30 F64 values are 8 GiB")
  void fileBytesInLongs() {
    assertThat(LAYOUT.get(1).fileBytes()).isEqualTo(8L << 30);
    assertThat(LAYOUT.get(2).elementCount()).isEqualTo(1L << 30);
    assertThat(LAYOUT.get(2).fileBytes()).isEqualTo(2L << 30);
  }
}
