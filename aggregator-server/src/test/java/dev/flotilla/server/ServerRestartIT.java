package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The packaged server as a real process: SIGKILL mid-job, restart on the same state, the job completes. */
class ServerRestartIT {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stopServers() {
    processes.forEach(Process::destroyForcibly);
  }

  private Process start(Path server, int port) throws Exception {
    Path jar = Path.of("target", "aggregator-server.jar").toAbsolutePath();
    assertThat(jar).as("run after `package`").exists();
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(),
        "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--cert", server.resolve("tls.crt").toString(), "--key", server.resolve("tls.key").toString(),
        "--ca", server.resolve("ca.crt").toString(), "--job-id", "restart-job", "--rounds", "3", "--min-parties", "2",
        "--model", "cnn", "--join-grace", "5s", "--final-eval-wait", "20s", "--state-dir", dir.resolve("state").toString(),
        "--status-file", dir.resolve("status.json").toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
        .start();
    processes.add(p);
    return p;
  }

  private static FakeParty connect(java.util.function.Supplier<FakeParty> make, long samples) {
    FakeParty[] p = new FakeParty[1];
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
      p[0] = make.get();
      JoinResponse r = p[0].join(samples);
      return r.getJobId().equals("restart-job");
    });
    p[0].openRounds();
    return p[0];
  }

  private static void trainOnce(FakeParty p, long samples) throws Exception {
    TrainRequest t = p.awaitTrain();
    float[][] start = p.fetch(CNN, t.getModelVersion()).tensors();
    p.submit(t.getRound(), samples, Map.of("accuracy", 0.5), CNN, start);
  }

  @Test
  @DisplayName("a server killed with SIGKILL after round 1 restarts on the same state dir and port, and the job completes all rounds")
  void killAndResume() throws Exception {
    TestPki pki = new TestPki(dir, "restart-job");
    Path server = pki.serverDir();
    Path alice = pki.partyDir("alice");
    Path bob = pki.partyDir("bob");
    int port = FreePorts.next();

    Process first = start(server, port);
    FakeParty a = connect(() -> channels.party(port, alice, "alice"), 100);
    FakeParty b = connect(() -> channels.party(port, bob, "bob"), 100);
    trainOnce(a, 100);
    trainOnce(b, 100);
    // round 2 has started: both hold a TrainRequest; then the server dies without warning
    assertThat(a.nextEvent().getTrain().getRound()).isEqualTo(2);
    assertThat(b.nextEvent().getTrain().getRound()).isEqualTo(2);
    // the state writer puts round 1's checkpoint on disk before a status that reports it (the next
    // round does not wait for the disk; a round whose checkpoint was not yet durable is redone)
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
        StatusJson.readFile(dir.resolve("status.json")).roundsCompleted() == 1);
    first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.roundsError != null && b.roundsError != null);

    Process second = start(server, port);
    FakeParty a2 = connect(() -> channels.party(port, alice, "alice"), 100);
    FakeParty b2 = connect(() -> channels.party(port, bob, "bob"), 100);
    for (int round = 2; round <= 3; round++) {
      trainOnce(a2, 100);
      trainOnce(b2, 100);
    }
    for (FakeParty p : List.of(a2, b2)) {
      RoundEvent fin = p.nextEvent();
      assertThat(fin.getFinished().getRoundsCompleted()).isEqualTo(3);
      p.reportEvaluation(3, 0.9, 100);
    }
    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).isZero();
    JobStatus s = StatusJson.readFile(dir.resolve("status.json"));
    assertThat(s.roundsCompleted()).isEqualTo(3);
    assertThat(s.finished()).isTrue();
    assertThat(s.rounds()).hasSize(3);
    assertThat(s.finalAccuracy()).isEqualTo(0.9);
    assertThat(Files.readString(dir.resolve("server.log"))).contains("resumed from").contains("at round 1 of 3");
  }
}
