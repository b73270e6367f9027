package dev.flotilla.protocol.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The party takes the job's layout from the server's JoinResponse: a hostile server can claim a
 * layout of any size in a few bytes. The assembler must spend memory only on values that arrive.
 */
class ModelAssemblerMemoryTest {

  @Test
  @DisplayName("a layout of 64 GiB claimed by the server costs nothing until values arrive; a wrong header is refused")
  void claimedLayoutIsNotAllocatedUpFront() {
    List<TensorSpec> claimed = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      claimed.add(new TensorSpec("t" + i, new long[] {Integer.MAX_VALUE - 8}));
    }
    ModelAssembler assembler = new ModelAssembler(claimed);
    ModelChunk header = ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder().setModelVersion(1)
        .addAllTensors(TensorChunks.infos(List.of(new TensorSpec("t0", new long[] {2}))))).build();
    assertThatThrownBy(() -> assembler.accept(header)).isInstanceOf(TensorStreamException.class);
    assertThat(assembler.isComplete()).isFalse();
  }
}
