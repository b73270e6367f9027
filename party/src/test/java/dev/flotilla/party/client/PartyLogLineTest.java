package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.JobPki;
import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogFormat;
import dev.flotilla.common.logging.LogSettings;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The party's log lines carry its role, job, party and round: a party joins an in-process aggregator that asks
 * it to train round 2 with a deadline already passed, and the line that skips the round is checked.
 */
class PartyLogLineTest {
  private static final String MODEL = "mlp:4-2";

  @TempDir Path dir;
  private Server server;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private final LogFormat before = LogSettings.format();

  /** A trainer the round never reaches: the round is skipped before training. */
  private static final class Untrained implements LocalTrainer {
    @Override
    public String description() {
      return "nothing";
    }

    @Override
    public int trainingSamples(RoundContext context) {
      return 10;
    }

    @Override
    public void prepare(String model, List<TensorSpec> layout) {}

    @Override
    public Evaluation evaluate(RoundContext round, float[][] global) {
      throw new AssertionError("not evaluated in this test");
    }

    @Override
    public LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options) {
      throw new AssertionError("not trained in this test");
    }

    @Override
    public void close() {}
  }

  @AfterEach
  void restore() {
    LogSettings.output(null);
    LogSettings.setFormat(before);
    LogContext.clear();
    if (server != null) {
      server.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(LogFormat.class)
  @DisplayName("a party's log line names its role, the job, the party and the round, in either format")
  void lineNamesJobRolePartyAndRound(LogFormat format) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new FederationGrpc.FederationImplBase() {
      @Override
      public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
        response.onNext(JoinResponse.newBuilder().setJobId("mnist").setStrategy("fedavg").setRounds(3).setModel(MODEL)
            .setCurrentRound(1).setPartyName("alice").build());
        response.onCompleted();
      }

      @Override
      public void rounds(RoundsRequest request, StreamObserver<RoundEvent> events) {
        events.onNext(RoundEvent.newBuilder().setTrain(TrainRequest.newBuilder().setRound(2).setModelVersion(1)
            .setAttempt(1).setDeadlineUnixMillis(1)).build());
      }
    }).build().start();
    Path alice = JobPki.create(dir, "flotilla.test", "mnist").party("alice");
    RunnerSettings settings = new RunnerSettings(null, null, 8, 0.1f, 0f, 0f, 1, 0,
        FederationSession.Deadlines.defaults(), Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMinutes(1));
    PartyRunner runner = new PartyRunner(settings, () -> InProcessChannelBuilder.forName(name).directExecutor().build(),
        new Untrained(), PartyIdentity.fromCertificateFile(alice.resolve("tls.crt")), Clock.systemUTC());
    LogContext.clear();
    LogSettings.setFormat(format);
    LogSettings.output(new PrintStream(captured, true, StandardCharsets.UTF_8));
    Thread thread = new Thread(() -> {
      try {
        runner.run();
      } catch (InterruptedException | RuntimeException ignored) {
        // stopped below
      }
    }, "party");
    thread.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> captured.toString(StandardCharsets.UTF_8).contains("skipped"));
    } finally {
      runner.stop();
      thread.join(5000);
    }
    String skipped = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("skipped")).findFirst()
        .orElseThrow();
    if (format == LogFormat.HUMAN) {
      assertThat(skipped).matches("\\S+Z WARN  \\[party job=mnist party=alice round=2\\] PartyRunner: .*round 2: "
          + "skipped, its deadline 1970-01-01T00:00:00.001Z has passed");
    } else {
      assertThat(skipped).startsWith("{\"time\":").contains("\"level\":\"WARN\",\"role\":\"party\",\"job\":\"mnist\","
          + "\"party\":\"alice\",\"round\":2,\"logger\":\"dev.flotilla.party.client.PartyRunner\",\"message\":")
          .contains("round 2: skipped, its deadline 1970-01-01T00:00:00.001Z has passed\"}");
    }
  }
}
