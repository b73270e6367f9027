package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A party whose training fails declines the round (DeclineRound) instead of leaving it to its deadline: the
 * aggregator jar and three party jars over mutual TLS, each training through {@code --trainer-command}; carol's
 * trainer fails every training. The round deadline is an hour, so a job that ends at all did not wait for it;
 * what is asserted is the outcome recorded: carol "declined" with her trainer's error, in the status file and
 * the aggregator's round line, in attempt 1.
 */
@RequiresRealServers(RealServer.FASHION_MNIST)
class DeclinedRoundIT {

  private static final String PYTHON = "/usr/bin/python3";

  @TempDir Path dir;

  @BeforeAll
  static void jarsBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()) && Files.isRegularFile(RogueAggregatorIT.partyJar()),
        "SKIPPED: the aggregator or party jar is missing; build them with mvn -pl party,aggregator-server -am package -DskipTests");
  }

  private Process party(Federation federation, String name, int index, String mode) throws IOException {
    Path script = dir.resolve("test_trainer.py");
    if (!Files.exists(script)) {
      try (InputStream in = getClass().getResourceAsStream("/dev/flotilla/party/train/external/test_trainer.py")) {
        Files.copy(in, script);
      }
    }
    Path partyDir = federation.party(name);
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-jar", RogueAggregatorIT.partyJar().toString(), "--server", "127.0.0.1:" + federation.port,
        "--ca", federation.dir.resolve("ca").resolve("ca.crt").toString(),
        "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
        "--data", RealServer.fashionMnistDirectory().toString(), "--partition-count", "3",
        "--partition-index", Integer.toString(index),
        "--trainer-command", PYTHON + " " + script + " " + mode, "--trainer-timeout", "5m",
        "--work-dir", dir.resolve(name + "-work").toString());
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
  }

  @Test
  @DisplayName("a party whose training fails declines with the trainer's error; the round records it and completes in its first attempt, an hour before its deadline")
  void failedTrainingDeclinesTheRound() throws Exception {
    try (Federation federation = new Federation(dir, "it-decline")) {
      federation.serverArgs("--rounds", "2", "--min-parties", "2", "--expected-parties", "3", "--join-grace", "5m",
          "--round-timeout", "1h", "--model", "mlp", "--final-eval-wait", "2m");
      federation.startServer();
      Map<String, Process> parties = new LinkedHashMap<>();
      parties.put("alice", party(federation, "alice", 0, "noise"));
      parties.put("bob", party(federation, "bob", 1, "noise"));
      parties.put("carol", party(federation, "carol", 2, "fail-train"));
      try {
        for (String name : List.of("alice", "bob")) {
          // generous: the machine is shared; the hour-long round deadline is what a missing decline would cost
          assertThat(parties.get(name).waitFor(15, TimeUnit.MINUTES)).as(name + " exited").isTrue();
          assertThat(parties.get(name).exitValue()).as(Files.readString(dir.resolve(name + ".log"))).isZero();
        }
        JobStatus status = federation.status().orElseThrow();
        assertThat(status.roundsCompleted()).as(federation.statusText()).isEqualTo(2);
        for (RoundRecord round : status.rounds()) {
          assertThat(round.attempts()).as(federation.statusText()).isEqualTo(1);
          assertThat(round.parties()).containsExactlyInAnyOrder("alice", "bob");
          assertThat(round.lateOrDropped()).as(federation.statusText()).containsOnlyKeys("carol");
          assertThat(round.lateOrDropped().get("carol")).startsWith("declined: training failed: ")
              .contains("FloatingPointError: loss is nan").doesNotContain("\n");
        }
        assertThat(federation.serverLog()).contains("round 1 attempt 1: party carol declined: training failed: ")
            .contains("round 1 completed: aggregated [");
        assertThat(Files.readString(dir.resolve("carol.log")))
            .contains("[job it-decline, party carol] round 1: declined; the server does not wait for this party's update");
      } finally {
        parties.values().forEach(Process::destroyForcibly);
        for (String name : parties.keySet()) {
          System.out.println("---- " + name + " ----\n" + Files.readString(dir.resolve(name + ".log")));
        }
      }
    }
  }
}
