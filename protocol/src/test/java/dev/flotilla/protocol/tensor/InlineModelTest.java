package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A small global model sent inside the TrainRequest (model_values) is read as a FetchModel stream's data is. */
class InlineModelTest {

  private static final List<TensorSpec> LAYOUT = List.of(new TensorSpec("w", new long[] {2, 3}),
      new TensorSpec("b", new long[] {2}));

  private static ByteString floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return ByteString.copyFrom(b.array());
  }

  @Test
  @DisplayName("inline values fill the layout tensor by tensor, in wire order, with the version they were sent for")
  void decodesInWireOrder() throws Exception {
    ModelAssembler.Decoded model = ModelAssembler.fromValues(LAYOUT, 7, floats(1, 2, 3, 4, 5, 6, -0.5f, 1e-3f));
    assertThat(model.modelVersion()).isEqualTo(7);
    assertThat(model.tensors()).isDeepEqualTo(new float[][] {{1, 2, 3, 4, 5, 6}, {-0.5f, 1e-3f}});
  }

  @Test
  @DisplayName("inline values that stop short of the layout, overrun it or split a value are refused, saying so")
  void refusesValuesThatDoNotFit() {
    assertThatThrownBy(() -> ModelAssembler.fromValues(LAYOUT, 1, floats(1, 2, 3, 4, 5, 6, 7)))
        .isInstanceOf(TensorStreamException.class).hasMessageContaining("7 of 8");
    assertThatThrownBy(() -> ModelAssembler.fromValues(LAYOUT, 1, floats(1, 2, 3, 4, 5, 6, 7, 8, 9)))
        .isInstanceOf(TensorStreamException.class);
    assertThatThrownBy(() -> ModelAssembler.fromValues(LAYOUT, 1, floats(1, 2, 3, 4, 5, 6, 7, 8).substring(1)))
        .isInstanceOf(TensorStreamException.class).hasMessageContaining("whole number");
  }
}
