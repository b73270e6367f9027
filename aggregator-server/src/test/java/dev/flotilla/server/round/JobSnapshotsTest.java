package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.admission.AllowList;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.server.model.ModelSource;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.aggregation.FedOpt;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSnapshotsTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("a checkpoint snapshot shares nothing that changes later: the strategy's moments are copied, the "
      + "published model is the immutable one of its version")
  void snapshotIsDetached() throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("jobS").model("mlp:2-1").rounds(3).minParties(1)
        .expectedParties(1).joinGrace(Duration.ofSeconds(1)).roundTimeout(Duration.ofSeconds(1))
        .finalEvaluationWait(Duration.ofSeconds(1)).stateDir(dir).build();
    ModelSource source = ModelSource.builtIn("mlp:2-1", 1);
    List<TensorSpec> specs = source.layout();
    FedOpt adam = FedOpt.adam(0.1);
    FedOpt strategy = adam;
    GlobalModelHolder holder = new GlobalModelHolder(new dev.flotilla.server.model.ModelStore(dir.resolve("global")),
        new HeapModel(0, specs, source.initialValues()));
    JobState job = new JobState(config, source, strategy,
        new PartyRegistry("jobS", 1, AllowList.of("jobS", List.of()), Duration.ofMinutes(1), Clock.systemUTC()),
        holder, new CheckpointStore(dir), new StateWriter("jobS", null), new ServerMetrics(), Clock.systemUTC(), "none");
    job.parties.take("alice", 5);
    round(job, 1f);
    var snapshot = JobSnapshots.checkpoint(job);
    float before = snapshot.strategyState().get("m")[0][0];
    GlobalModel v1 = job.model.current();
    round(job, 3f);
    assertThat(adam.state().get("m")[0][0]).as("the live moment moved").isNotEqualTo(before);
    assertThat(snapshot.strategyState().get("m")[0][0]).isEqualTo(before);
    assertThat(snapshot.modelVersion()).isEqualTo(1);
    assertThat(snapshot.global()).isSameAs(v1);
    assertThat(snapshot.parties()).extracting(p -> p.name()).containsExactly("alice");
    assertThat(JobSnapshots.status(job).modelVersion()).isEqualTo(2);
    assertThat(JobSnapshots.status(job).parties()).containsExactly("alice");
    job.writer.close();
  }

  /** One round of one update that adds {@code delta} to every weight. */
  private static void round(JobState job, float delta) throws Exception {
    var aggregation = job.strategy.begin(job.model.current(), job.config.stateDir());
    var sink = aggregation.open("alice", 5);
    for (int t = 0; t < job.specs.size(); t++) {
      float[] v = new float[job.specs.get(t).numElements()];
      job.model.current().read(t, 0, v, 0, v.length);
      for (int i = 0; i < v.length; i++) {
        v[i] += delta;
      }
      sink.accept(t, 0, FloatBuffer.wrap(v), v.length);
    }
    sink.commit();
    job.model.publish(job.model.next(aggregation));
  }
}
