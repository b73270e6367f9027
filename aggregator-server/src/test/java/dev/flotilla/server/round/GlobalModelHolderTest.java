package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.Weights;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.model.ModelStore;
import dev.flotilla.server.aggregation.FedAvg;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GlobalModelHolderTest {

  private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {2}));

  @TempDir
  Path dir;

  @Test
  @DisplayName("the next model is the aggregation written into new storage at the next version; the current one is "
      + "unchanged until published, and versions only go forward")
  void nextAndPublish() throws Exception {
    GlobalModelHolder holder = new GlobalModelHolder(new ModelStore(dir.resolve("global")),
        new HeapModel(3, SPECS, new float[][] {{1, 2}}));
    var aggregation = new FedAvg().begin(holder.current(), java.nio.file.Files.createDirectories(dir.resolve("spool")));
    var sink = aggregation.open("alice", 1);
    sink.accept(0, 0, FloatBuffer.wrap(new float[] {5, 6}), 2);
    sink.commit();
    var next = holder.next(aggregation);
    assertThat(next.version()).isEqualTo(4);
    assertThat(next).as("kept in a file of the store, not in the heap").isInstanceOf(FileModel.class);
    assertThat(Weights.values(next)).isDeepEqualTo(new float[][] {{5, 6}});
    assertThat(Weights.values(holder.current())).isDeepEqualTo(new float[][] {{1, 2}});
    holder.publish(next);
    assertThat(holder.current()).isSameAs(next);
    assertThatThrownBy(() -> holder.publish(new HeapModel(4, SPECS, new float[][] {{0, 0}})))
        .hasMessage("model version 4 does not follow 4");
  }
}
