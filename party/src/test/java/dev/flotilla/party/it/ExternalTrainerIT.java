package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The party jar, as a real process, training through {@code --trainer-command} against the real
 * aggregator over mutual TLS: one party runs a real PyTorch trainer, the other a command that
 * writes a NaN into every update.
 */
@RequiresRealServers({RealServer.FASHION_MNIST, RealServer.PYTORCH})
class ExternalTrainerIT {
  @TempDir Path dir;

  @BeforeAll
  static void jarsBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()) && Files.isRegularFile(RogueAggregatorIT.partyJar()),
        "SKIPPED: the aggregator or party jar is missing; build them with mvn -pl party,aggregator-server -am package -DskipTests");
  }

  private Process party(Federation federation, Path partyDir, String trainerMode, Path workDir, Path log)
      throws IOException {
    Path script = dir.resolve("test_trainer.py");
    if (!Files.exists(script)) {
      try (InputStream in = getClass().getResourceAsStream("/dev/flotilla/party/train/external/test_trainer.py")) {
        Files.copy(in, script);
      }
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", RogueAggregatorIT.partyJar().toString(), "--server", "127.0.0.1:" + federation.port,
        "--ca", federation.dir.resolve("ca").resolve("ca.crt").toString(),
        "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
        "--data", RealServer.fashionMnistDirectory().toString(), "--partition-count", "2",
        "--partition-index", trainerMode.equals("torch") ? "0" : "1",
        "--trainer-command", "/usr/bin/python3 " + script + " " + trainerMode, "--trainer-timeout", "5m",
        "--work-dir", workDir.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // a variable naming the party's key: the trainer must not see it
    builder.environment().put("PARTY_SECRET_PATH", partyDir.resolve("tls.key").toString());
    return builder.start();
  }

  @Test
  @DisplayName("a PyTorch trainer command trains 2 rounds over mTLS to > 0.6 accuracy; a command writing NaN has its rounds skipped, and both parties exit 0")
  void externalTrainersRunAJob() throws Exception {
    try (Federation federation = new Federation(dir, "it-external")) {
      federation.serverArgs("--rounds", "2", "--min-parties", "1", "--expected-parties", "2", "--join-grace", "20s",
          "--round-timeout", "30s",
          "--model", "mlp", "--final-eval-wait", "60s");
      federation.startServer();
      Path aliceLog = dir.resolve("alice.log");
      Path bobLog = dir.resolve("bob.log");
      Process alice = party(federation, federation.party("alice"), "torch", dir.resolve("alice-work"), aliceLog);
      Process bob = party(federation, federation.party("bob"), "nan", dir.resolve("bob-work"), bobLog);
      try {
        assertThat(alice.waitFor(5, TimeUnit.MINUTES)).as("alice exited").isTrue();
        assertThat(bob.waitFor(2, TimeUnit.MINUTES)).as("bob exited").isTrue();
        String aliceOutput = Files.readString(aliceLog);
        String bobOutput = Files.readString(bobLog);
        assertThat(alice.exitValue()).as(aliceOutput).isZero();
        assertThat(bob.exitValue()).as(bobOutput).isZero();

        assertThat(federation.roundsCompleted()).as(federation.statusText()).isEqualTo(2);
        // the test command does not report eval_seconds: its run is all training
        federation.assertRoundTimes(false);
        assertThat(aliceOutput).contains("[job it-external, party alice, round 1] trainer command train: 3000 samples",
            "[job it-external, party alice] round 2/2");
        for (int round = 1; round <= 2; round++) {
          assertThat(bobOutput).contains("[job it-external, party bob] round " + round
              + ": skipped, training failed: [job it-external, party bob, round " + round + "] model file "
              + dir.resolve("bob-work").resolve("train-" + round + "-1").resolve("update.safetensors")
              + ": tensor 'fc1.weight' element 7 is NaN");
        }
        Matcher m = Pattern.compile("final global model v2 accuracy ([0-9.]+)").matcher(aliceOutput);
        assertThat(m.find()).as(aliceOutput).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isGreaterThan(0.6);

        String seen = Files.readString(dir.resolve("alice-work").resolve("evaluate-2-1").resolve("seen.json"));
        assertThat(seen).doesNotContain("PARTY_SECRET_PATH").doesNotContain("tls.key").doesNotContain("tls.crt");
      } finally {
        alice.destroyForcibly();
        bob.destroyForcibly();
        System.out.println("---- alice ----\n" + Files.readString(aliceLog) + "---- bob ----\n" + Files.readString(bobLog));
      }
    }
  }
}
