package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two party jars train a TorchScript MLP exported by python3-torch 1.13 in DJL, against the real aggregator over mTLS. */
@RequiresRealServers({RealServer.FASHION_MNIST, RealServer.PYTORCH})
class TorchScriptFederationIT {
  @TempDir Path dir;

  @BeforeAll
  static void jarsBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()) && Files.isRegularFile(RogueAggregatorIT.partyJar()),
        "SKIPPED: the aggregator or party jar is missing; build them with mvn -pl party,aggregator-server -am package -DskipTests");
  }

  @Test
  @DisplayName("two party processes train a scripted TorchScript MLP for 2 rounds with --torchscript, exit 0, and the final model beats 0.7 accuracy")
  void torchScriptJob() throws Exception {
    Path script = dir.resolve("export_torchscript.py");
    try (InputStream in = getClass().getResourceAsStream("/dev/flotilla/party/train/export_torchscript.py")) {
      Files.copy(in, script);
    }
    Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), dir.toString()).inheritIO().start();
    assertThat(python.waitFor(2, TimeUnit.MINUTES) && python.exitValue() == 0).as("export").isTrue();
    Path module = dir.resolve("mlp_script.pt");

    try (Federation federation = new Federation(dir, "it-torchscript")) {
      federation.serverArgs("--rounds", "2", "--min-parties", "2", "--model", "mlp");
      federation.startServer();
      Process alice = party(federation, federation.party("alice"), module, 0);
      Process bob = party(federation, federation.party("bob"), module, 1);
      try {
        assertThat(alice.waitFor(5, TimeUnit.MINUTES)).as("alice exited").isTrue();
        assertThat(bob.waitFor(1, TimeUnit.MINUTES)).as("bob exited").isTrue();
        String aliceLog = Files.readString(dir.resolve("party-0.log"));
        assertThat(alice.exitValue()).as(aliceLog).isZero();
        assertThat(bob.exitValue()).as(Files.readString(dir.resolve("party-1.log"))).isZero();
        assertThat(aliceLog).contains("training the TorchScript module " + module + " in DJL");
        assertThat(federation.roundsCompleted()).as(federation.statusText()).isEqualTo(2);
        assertThat(federation.awaitFinalAccuracy()).isGreaterThan(0.7);
        federation.assertRoundTimes(true);
      } finally {
        alice.destroyForcibly();
        bob.destroyForcibly();
      }
    }
  }

  /** The party jar as a process, training {@code module} on part {@code index} of 6 of Fashion-MNIST. */
  private Process party(Federation federation, Path partyDir, Path module, int index) throws java.io.IOException {
    java.util.List<String> command = java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx768m", "-jar", RogueAggregatorIT.partyJar().toString(), "--server", "127.0.0.1:" + federation.port,
        "--ca", federation.dir.resolve("ca").resolve("ca.crt").toString(),
        "--cert", partyDir.resolve("tls.crt").toString(), "--key", partyDir.resolve("tls.key").toString(),
        "--data", RealServer.fashionMnistDirectory().toString(), "--partition", "iid", "--partition-count", "6",
        "--partition-index", Integer.toString(index), "--seed", "7", "--torchscript", module.toString(),
        "--model", "mlp");
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("party-" + index + ".log").toFile()).start();
  }
}
