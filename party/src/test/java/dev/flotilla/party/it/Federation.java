package dev.flotilla.party.it;

import dev.flotilla.certs.JobPki;
import dev.flotilla.party.PartyCommand;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RealServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import picocli.CommandLine;

/**
 * A real aggregator process ({@code aggregator-server/target/aggregator-server.jar}) and parties
 * running the party command in this JVM, over mutual TLS on loopback, with keys made at run time.
 */
final class Federation implements AutoCloseable {
  static final String DOMAIN = "flotilla.test";

  final Path dir;
  final Path stateDir;
  final Path statusFile;
  final int port = FreePorts.next();
  private final String job;
  private final JobPki pki;
  private final List<String> serverArgs = new ArrayList<>();
  private final ExecutorService parties = Executors.newCachedThreadPool();
  private Process server;
  private int serverStarts;

  /** A federation of {@code job}: its CA, and the aggregator's certificate for {@code <job>.server.flotilla.test}. */
  Federation(Path dir, String job) throws IOException {
    this.dir = dir;
    this.job = job;
    this.stateDir = dir.resolve("state");
    this.statusFile = dir.resolve("status.json");
    this.pki = JobPki.create(dir, DOMAIN, job);
  }

  /** The aggregator jar: {@code -Dflotilla.server.jar=...}, else aggregator-server/target/ of this checkout. */
  static Path serverJar() {
    String override = System.getProperty("flotilla.server.jar");
    if (override != null) {
      return Path.of(override);
    }
    String root = System.getenv().getOrDefault("FLOTILLA_REPO_ROOT", Path.of("..").toAbsolutePath().normalize().toString());
    return Path.of(root, "aggregator-server", "target", "aggregator-server.jar");
  }

  /** A party certificate from this federation's CA (issued on first use). */
  Path party(String name) throws IOException {
    return pki.party(name);
  }

  /** A party certificate from a CA the server does not trust, in dir/name/. */
  Path strangerParty(String name) throws IOException {
    return JobPki.create(dir.resolve("stranger-" + name), DOMAIN, job).party(name);
  }

  Federation serverArgs(String... args) {
    serverArgs.addAll(List.of(args));
    return this;
  }

  void startServer() throws IOException {
    Path serverDir = dir.resolve("server");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", serverJar().toString(),
        "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--cert", serverDir.resolve("tls.crt").toString(), "--key", serverDir.resolve("tls.key").toString(),
        "--ca", serverDir.resolve("ca.crt").toString(),
        "--state-dir", stateDir.toString(), "--status-file", statusFile.toString()));
    command.addAll(serverArgs);
    serverStarts++;
    server = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
        .start();
  }

  /** SIGKILL: no shutdown hook, no goodbye to the parties. */
  void killServer() throws InterruptedException {
    server.destroyForcibly();
    server.waitFor();
  }

  Process server() {
    return server;
  }

  String serverLog() throws IOException {
    Path log = dir.resolve("server.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** rounds_completed from the server's status file, 0 before it exists. */
  int roundsCompleted() throws IOException {
    return status().map(JobStatus::roundsCompleted).orElse(0);
  }

  /** The server's status file (written atomically, so never half a file), empty before it exists. */
  Optional<JobStatus> status() throws IOException {
    try {
      return Optional.of(StatusJson.readFile(statusFile));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /** The final model's accuracy, once the parties' final evaluations are in the status (waits up to 30 s). */
  double awaitFinalAccuracy() {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).until(
        () -> status().map(JobStatus::finalAccuracy).orElse(null), accuracy -> accuracy != null);
  }

  /**
   * Every completed round's times came from the parties' own measurements: training (and, where the
   * trainer can tell it apart, evaluation) took time, protocol time is the rest and never negative.
   */
  void assertRoundTimes(boolean evaluationMeasured) throws IOException {
    JobStatus status = status().orElseThrow();
    Assertions.assertThat(status.rounds()).as(statusText()).isNotEmpty().allSatisfy(r -> {
      Assertions.assertThat(r.trainingSeconds()).isPositive().isLessThanOrEqualTo(r.durationSeconds());
      if (evaluationMeasured) {
        Assertions.assertThat(r.evaluationSeconds()).isPositive();
      } else {
        Assertions.assertThat(r.evaluationSeconds()).isNotNull().isGreaterThanOrEqualTo(0);
      }
      Assertions.assertThat(r.protocolSeconds()).isGreaterThanOrEqualTo(0);
      Assertions.assertThat(r.trainingSeconds() + r.evaluationSeconds() + r.protocolSeconds())
          .isCloseTo(r.durationSeconds(), Assertions.within(1e-9));
      // the times are not averaged into the learning metrics
      Assertions.assertThat(r.metrics()).doesNotContainKeys(MetricNames.TRAIN_SECONDS, MetricNames.EVAL_SECONDS);
    });
  }

  /** The status file's text, for assertion messages. */
  String statusText() throws IOException {
    return Files.exists(statusFile) ? Files.readString(statusFile) : "(no status file)";
  }

  /** A running party command and what it printed on stderr. */
  record RunningParty(Future<Integer> exitCode, StringWriter err) {}

  /** The name the aggregator's certificate carries, and the parties' default --server-name. */
  String serverName() {
    return pki.serverName();
  }

  /** A party with the default --server-name, which it derives from its certificate's job. */
  RunningParty startParty(Path partyDir, String... extra) {
    return startParty(partyDir, null, extra);
  }

  RunningParty startParty(Path partyDir, String serverName, String... extra) {
    List<String> args = new ArrayList<>(List.of("--server", "127.0.0.1:" + port));
    if (serverName != null) {
      args.addAll(List.of("--server-name", serverName));
    }
    args.addAll(List.of(
        "--ca", dir.resolve("ca").resolve("ca.crt").toString(),
        "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
        "--data", RealServer.fashionMnistDirectory().toString()));
    args.addAll(List.of(extra));
    StringWriter err = new StringWriter();
    Future<Integer> exit = parties.submit(() -> {
      CommandLine commandLine = PartyCommand.commandLine();
      commandLine.setErr(new PrintWriter(err, true));
      return commandLine.execute(args.toArray(String[]::new));
    });
    return new RunningParty(exit, err);
  }

  int serverStarts() {
    return serverStarts;
  }

  @Override
  public void close() throws InterruptedException {
    try {
      System.out.println("---- aggregator log ----\n" + serverLog() + "---- end of aggregator log ----");
    } catch (IOException e) {
      System.out.println("aggregator log unreadable: " + e);
    }
    parties.shutdownNow();
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
      server.waitFor();
    }
  }
}
