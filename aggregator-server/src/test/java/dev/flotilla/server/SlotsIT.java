package dev.flotilla.server;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 5 (slots), on the server jar over mutual TLS: enrollment is open or follows an
 * allow-list file that is read again when it changes; a party gone longer than --reconnect-grace
 * loses its slot to another.
 */
class SlotsIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private ServerProcess start(TestPki pki, int port, String... extra) throws Exception {
    String[] args = Stream.concat(Stream.of("--job-id", "slot-job", "--rounds", "1", "--min-parties", "2",
        "--model", "mlp", "--final-eval-wait", "1s", "--status-file", dir.resolve("status.json").toString()),
        Stream.of(extra)).toArray(String[]::new);
    ServerProcess server = ServerProcess.onLoopback(dir, pki, port, args);
    server.awaitServing(channels.open(pki, port, "probe"));
    return server;
  }

  private JobStatus status() throws Exception {
    return StatusJson.readFile(dir.resolve("status.json"));
  }

  /** Replaces the file the way a ConfigMap volume or an editor does: a new file renamed over the old one. */
  private static void replace(Path file, String content) throws Exception {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, content);
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  @DisplayName("--allow-party-file: only listed parties may join; the file is read again when it changes, a newly "
      + "listed party may join and a party taken off the list loses its slot and its Rounds stream; the status file "
      + "shows enrollment by allow-list")
  void allowListFile() throws Exception {
    Path allow = dir.resolve("allowed-parties");
    Files.writeString(allow, "# parties of slot-job\nalice\nbob   # the second one\n\n");
    TestPki pki = new TestPki(dir, "slot-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "--allow-party-file", allow.toString())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("status.json")));
      assertThat(status().enrollment()).isEqualTo("allow-list");
      assertThat(status().allowedParties()).containsExactly("alice", "bob");

      FakeParty carol = channels.party(pki, port, "carol");
      assertRefused(() -> carol.join(100), Status.Code.PERMISSION_DENIED,
          "party 'carol' is not allowed in job slot-job (not on its --allow-party-file " + allow + " list)");
      FakeParty a = channels.party(pki, port, "alice");
      FakeParty b = channels.party(pki, port, "bob");
      a.join(100);
      b.connect(100);

      replace(allow, "alice\nbob\ncarol\n");
      assertThat(carol.join(100).getPartyIndex()).isEqualTo(2);
      // the status is written by the state writer, shortly after the change
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(status().allowedParties()).containsExactly("alice", "bob", "carol"));

      replace(allow, "alice\ncarol\n");
      assertRefused(() -> b.join(100), Status.Code.PERMISSION_DENIED, "party 'bob' is not allowed in job slot-job");
      await().atMost(Duration.ofSeconds(10)).until(() -> b.roundsError != null);
      assertThat(Status.fromThrowable(b.roundsError).getDescription())
          .isEqualTo("party 'bob' lost its slot in job slot-job: it is no longer on its --allow-party-file " + allow
              + " list");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(status().parties()).containsExactly("alice", "carol"));
      assertThat(server.log()).contains("job slot-job: enrollment by allow-list (--allow-party-file " + allow
          + "): [alice, bob]").contains("job slot-job: party bob lost its slot (index 1): it is no longer on the "
          + "allow-list");
    }
  }

  @Test
  @DisplayName("without an allow-list enrollment is open (logged once, naming the job, and in the status file); a party "
      + "gone longer than --reconnect-grace loses its slot, which another party takes; a party with a live Rounds "
      + "stream keeps its own, and the round runs")
  void openEnrollmentAndReconnectGrace() throws Exception {
    TestPki pki = new TestPki(dir, "slot-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "--expected-parties", "2", "--reconnect-grace", "2s")) {
      assertThat(server.log().lines().filter(l -> l.contains("enrollment is open")).toList())
          .singleElement().asString().contains("job slot-job: enrollment is open: any party identity of the job may take "
              + "one of its 2 slots (--expected-parties)");
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("status.json")));
      assertThat(status().enrollment()).isEqualTo("open");

      FakeParty a = channels.party(pki, port, "alice");
      FakeParty b = channels.party(pki, port, "bob");
      FakeParty c = channels.party(pki, port, "carol");
      assertThat(a.join(100).getPartyIndex()).isZero(); // and never opens its Rounds stream
      assertThat(b.connect(100).getPartyIndex()).isEqualTo(1);
      assertRefused(() -> c.join(100), Status.Code.RESOURCE_EXHAUSTED, "job slot-job is full: 2 parties have joined "
          + "[alice, bob] and it expects 2");

      await().atMost(Duration.ofSeconds(30))
          .until(() -> server.log().contains("job slot-job: party alice lost its slot (index 0): gone since"));
      assertThat(server.log()).contains("longer than --reconnect-grace PT2S");
      assertThat(c.connect(100).getPartyIndex()).as("the lowest free index").isZero();
      assertRefused(() -> a.join(100), Status.Code.RESOURCE_EXHAUSTED, "job slot-job is full: 2 parties have joined "
          + "[bob, carol] and it expects 2");

      for (FakeParty p : List.of(b, c)) {
        TrainRequest t = p.nextEvent().getTrain();
        p.submit(t.getRound(), 100, Map.of("accuracy", 0.5), MLP, p.fetch(MLP, t.getModelVersion()).tensors());
      }
      for (FakeParty p : List.of(b, c)) {
        assertThat(p.nextEvent().hasFinished()).isTrue();
      }
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      JobStatus s = status();
      assertThat(s.parties()).containsExactly("bob", "carol");
      assertThat(s.round(1).orElseThrow().parties()).containsExactly("bob", "carol");
    }
  }
}
