package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server jar over mutual TLS writes its job's summary to {@code --termination-message} when the
 * job ends, as the IflearnerJob controller expects from an aggregator pod's /dev/termination-log.
 */
@DisplayName("--termination-message: the server jar leaves its finished job's summary behind")
class TerminationMessageIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  @Test
  @DisplayName("2 rounds with 2 parties: exit 0, and the file says finished, 2 of 2 rounds, 2 expected, last loss 0.8, "
      + "last and final accuracy 0.75 (the final evaluations)")
  void summaryAtTheEnd() throws Exception {
    TestPki pki = new TestPki(dir, "tm");
    int port = FreePorts.next();
    Path message = dir.resolve("termination-log");
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", "2", "--min-parties", "2",
        "--expected-parties", "2", "--model", "mlp", "--final-eval-wait", "20s", "--join-grace", "2s",
        "--termination-message", message.toString())) {
      server.awaitServing(channels.open(pki, port, "probe"));
      FakeParty alice = channels.party(pki, port, "alice");
      FakeParty bob = channels.party(pki, port, "bob");
      alice.connect(100);
      bob.connect(100);
      for (Map<String, Double> metrics : List.of(Map.of("accuracy", 0.5, "loss", 1.2), Map.of("accuracy", 0.7, "loss", 0.8))) {
        TrainRequest t = alice.awaitTrain();
        bob.awaitTrain();
        float[][] weights = alice.fetch(MLP, t.getModelVersion()).tensors();
        alice.submit(t.getRound(), 100, metrics, MLP, weights);
        bob.submit(t.getRound(), 100, metrics, MLP, weights);
      }
      for (FakeParty p : List.of(alice, bob)) {
        RoundEvent fin = p.nextEvent();
        assertThat(fin.hasFinished()).isTrue();
        p.reportEvaluation(fin.getFinished().getModelVersion(), 0.75, 100);
      }
      assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("the server exits when the job ends").isTrue();
      assertThat(server.process().exitValue()).isZero();
      JobSummary s = StatusJson.readSummary(Files.readString(message));
      assertThat(s.jobId()).isEqualTo("tm");
      assertThat(s.finished()).isTrue();
      assertThat(s.roundsCompleted()).isEqualTo(2);
      assertThat(s.roundsTotal()).isEqualTo(2);
      assertThat(s.partiesExpected()).isEqualTo(2);
      assertThat(s.lastLoss()).isEqualTo(0.8);
      assertThat(s.lastAccuracy()).isEqualTo(0.75);
      assertThat(s.finalAccuracy()).isEqualTo(0.75);
      assertThat(s.lastRoundUnixMillis()).isNotNull();
    }
  }
}
