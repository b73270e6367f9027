package dev.flotilla.server;

import dev.flotilla.server.transport.UploadPermits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.aggregation.UpdateSink;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.ModelWriter;
import java.nio.FloatBuffer;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorFatalErrorTest {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");

  @TempDir
  Path dir;

  /** A strategy whose aggregation dies of an Error, as a bug or an exhausted JVM would. */
  private static final class DyingStrategy implements Strategy {
    final Error error = new Error("simulated failure inside aggregation");

    @Override
    public String name() {
      return "fedavg";
    }

    /** Takes every update and dies when asked for the next model. */
    @Override
    public RoundAggregation begin(GlobalModel base, Path spillDirectory) {
      return new RoundAggregation() {
        private int committed;

        @Override
        public UpdateSink open(String party, double weight) {
          return new UpdateSink() {
            @Override
            public void accept(int tensor, int offset, FloatBuffer values, int count) {}

            @Override
            public String commit() {
              committed++;
              return "";
            }

            @Override
            public void discard() {}
          };
        }

        @Override
        public int committed() {
          return committed;
        }

        @Override
        public void finish(ModelWriter next) {
          throw error;
        }

        @Override
        public void close() {}
      };
    }
  }

  private record Call(String jobId, Throwable cause) {}

  private RoundCoordinator coordinator(Strategy strategy) throws Exception {
    ServerConfig config = ServerConfig.builder().jobId("doomed").model("cnn").rounds(2).minParties(1).expectedParties(1)
        .joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofSeconds(5))
        .stateDir(dir.resolve("state")).build();
    return new RoundCoordinator(config, strategy, new CheckpointStore(config.stateDir()), new ServerMetrics(),
        "none (in-process test)", Clock.systemUTC());
  }

  @Test
  @DisplayName("an Error in the round loop is handed, with the job id, to the fatal error handler once, "
      + "and run() rethrows it")
  void errorInRoundLoopReachesHandler() throws Exception {
    DyingStrategy strategy = new DyingStrategy();
    List<Call> calls = new CopyOnWriteArrayList<>();
    RoundCoordinator coordinator = coordinator(strategy).onFatalError((job, cause) -> calls.add(new Call(job, cause)));
    String name = InProcessServerBuilder.generateName();
    ServerMetrics metrics = new ServerMetrics();
    FederationServer server = new FederationServer(InProcessServerBuilder.forName(name),
        new FederationService(coordinator, new TestIdentity(), metrics,
            new UploadPermits(4)), List.of(TestIdentity.interceptor()), metrics,
        4 << 20).start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread runner = new Thread(() -> {
      try {
        coordinator.run();
        outcome.complete(null);
      } catch (Throwable t) {
        outcome.complete(t);
      }
    }, "coordinator");
    runner.setDaemon(true);
    runner.start();
    try {
      FakeParty alice = new FakeParty(channel, "alice");
      alice.connect(100);
      TrainRequest train = alice.nextEvent().getTrain();
      float[][] start = alice.fetch(CNN, train.getModelVersion()).tensors();
      alice.submit(train.getRound(), 100, Map.of("accuracy", 0.5), CNN, start);

      assertThat(outcome.get(20, TimeUnit.SECONDS)).as("run() rethrows the fatal error").isSameAs(strategy.error);
      assertThat(calls).containsExactly(new Call("doomed", strategy.error));
    } finally {
      runner.interrupt();
      channel.shutdownNow();
      server.stop(1000);
      runner.join(5000);
    }
  }

  @Test
  @DisplayName("an interrupted round loop is a shutdown, not a fatal error: the handler is not called")
  void interruptIsNotFatal() throws Exception {
    List<Call> calls = new CopyOnWriteArrayList<>();
    RoundCoordinator coordinator = coordinator(new DyingStrategy())
        .onFatalError((job, cause) -> calls.add(new Call(job, cause)));
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread runner = new Thread(() -> {
      try {
        coordinator.run();
        outcome.complete(null);
      } catch (Throwable t) {
        outcome.complete(t);
      }
    }, "coordinator");
    runner.setDaemon(true);
    runner.start();
    // no party joins: the loop waits for its quorum until interrupted
    await().atMost(Duration.ofSeconds(10)).until(() -> runner.getState() == Thread.State.TIMED_WAITING
        || runner.getState() == Thread.State.WAITING);
    runner.interrupt();
    assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    assertThat(calls).isEmpty();
  }
}
