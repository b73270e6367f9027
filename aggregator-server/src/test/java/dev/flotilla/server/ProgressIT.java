package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JobObserverGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.ProgressRequest;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server jar over mutual TLS answers JobObserver.Progress to a controller identity of its trust
 * domain while rounds advance, and to nobody else; the controller identity reaches no Federation method.
 */
@DisplayName("JobObserver.Progress: the running server jar tells the controller identity its progress, round by round")
class ProgressIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private static JobSummary progress(ManagedChannel channel) throws Exception {
    return StatusJson.readSummary(JobObserverGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .progress(ProgressRequest.getDefaultInstance()).getSummaryJson());
  }

  @Test
  @DisplayName("0 of 2 rounds before parties, 1 of 2 with its loss and 2 parties after round 1, 2 of 2 and finished after round 2; "
      + "a party asking gets PERMISSION_DENIED, the controller calling Join gets PERMISSION_DENIED")
  void progressWhileRoundsAdvance() throws Exception {
    TestPki pki = new TestPki(dir, "pg");
    Path controller = pki.issue(Identity.controller(TestPki.DOMAIN, "flotilla-controller"), "controller");
    Path foreign = pki.issue(Identity.controller("other.test", "flotilla-controller"), "foreign-controller");
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", "2", "--min-parties", "2",
        "--expected-parties", "2", "--model", "mlp", "--final-eval-wait", "20s", "--join-grace", "2s")) {
      server.awaitServing(channels.open(pki, port, "probe"));
      ManagedChannel asController = channels.add(TestPki.channelTo(port, "pg", controller));
      JobSummary before = progress(asController);
      assertThat(before.jobId()).isEqualTo("pg");
      assertThat(before.roundsCompleted()).isZero();
      assertThat(before.roundsTotal()).isEqualTo(2);
      assertThat(before.partiesExpected()).isEqualTo(2);
      assertThat(before.lastRoundUnixMillis()).isNull();

      assertThatThrownBy(() -> FederationGrpc.newBlockingStub(asController).withDeadlineAfter(10, TimeUnit.SECONDS)
          .join(JoinRequest.newBuilder().setNumSamples(1).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(e.getStatus().getDescription()).contains("controller identity; only parties of job pg call this aggregator");
          });
      ManagedChannel asForeign = channels.add(TestPki.channelTo(port, "pg", foreign));
      assertThatThrownBy(() -> progress(asForeign)).isInstanceOfSatisfying(StatusRuntimeException.class,
          e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

      FakeParty alice = channels.party(pki, port, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      assertThatThrownBy(() -> progress(channels.open(pki, port, "alice"))).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).contains("may not read the progress of job pg");
      });
      alice.connect(100);
      bob.connect(100);
      int round = 0;
      for (Map<String, Double> metrics : List.of(Map.of("accuracy", 0.5, "loss", 1.2), Map.of("accuracy", 0.7, "loss", 0.8))) {
        TrainRequest t = alice.awaitTrain();
        bob.awaitTrain();
        float[][] weights = alice.fetch(MLP, t.getModelVersion()).tensors();
        alice.submit(t.getRound(), 100, metrics, MLP, weights);
        bob.submit(t.getRound(), 100, metrics, MLP, weights);
        int done = ++round;
        await("progress after round " + done).atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          JobSummary s = progress(asController);
          assertThat(s.roundsCompleted()).isEqualTo(done);
          assertThat(s.lastLoss()).isEqualTo(metrics.get("loss"));
          assertThat(s.lastRoundUnixMillis()).isNotNull();
          // after the last round the server ends the parties' Rounds streams (Finished) and waits for evaluations
          assertThat(s.finished()).isEqualTo(done == 2);
          if (done == 1) {
            assertThat(s.partiesConnected()).isEqualTo(2);
          }
        });
      }
    }
  }
}
