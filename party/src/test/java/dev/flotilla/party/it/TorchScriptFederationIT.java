package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two parties train a TorchScript MLP exported by python3-torch 1.13 in DJL, against the real aggregator over mTLS. */
@RequiresRealServers({RealServer.FASHION_MNIST, RealServer.PYTORCH})
class TorchScriptFederationIT {
  @TempDir Path dir;

  @BeforeAll
  static void serverJarBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()),
        "SKIPPED: " + Federation.serverJar() + " is missing; build it with mvn -pl aggregator-server -am package -DskipTests");
  }

  @Test
  @DisplayName("two parties train a scripted TorchScript MLP for 2 rounds with --torchscript, exit 0, and the final model beats 0.7 accuracy")
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
      String[] common = {"--partition", "iid", "--partition-count", "6", "--seed", "7", "--torchscript", module.toString(),
          "--model", "mlp"};
      Federation.RunningParty alice = federation.startParty(federation.party("alice"), with(common, "0"));
      Federation.RunningParty bob = federation.startParty(federation.party("bob"), with(common, "1"));

      assertThat(alice.exitCode().get(5, TimeUnit.MINUTES)).as(alice.err().toString()).isZero();
      assertThat(bob.exitCode().get(1, TimeUnit.MINUTES)).as(bob.err().toString()).isZero();
      assertThat(federation.roundsCompleted()).as(federation.status()).isEqualTo(2);
      await().atMost(Duration.ofSeconds(30)).until(() -> federation.status().contains("\"final_accuracy\""));
      Matcher m = Pattern.compile("\"final_accuracy\"\\s*:\\s*([0-9.]+)").matcher(federation.status());
      assertThat(m.find()).as(federation.status()).isTrue();
      assertThat(Double.parseDouble(m.group(1))).isGreaterThan(0.7);
    }
  }

  private static String[] with(String[] common, String index) {
    String[] all = java.util.Arrays.copyOf(common, common.length + 2);
    all[common.length] = "--partition-index";
    all[common.length + 1] = index;
    return all;
  }
}
