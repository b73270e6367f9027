package dev.flotilla.party.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parties against the real aggregator over mutual TLS on loopback. Each party trains on a sixth
 * of the training set (10 000 samples) to keep the run short on a small machine.
 */
@RequiresRealServers(RealServer.FASHION_MNIST)
class PartyFederationIT {
  static final String[] SMALL_SPLIT = {"--partition", "dirichlet:0.5", "--partition-count", "6", "--seed", "7"};

  @TempDir Path dir;

  @BeforeAll
  static void serverJarBuilt() {
    Assumptions.assumeTrue(Files.isRegularFile(Federation.serverJar()),
        "SKIPPED: " + Federation.serverJar() + " is missing; build it with mvn -pl aggregator-server -am install -DskipTests");
  }

  static String[] args(int index, String... more) {
    String[] all = new String[SMALL_SPLIT.length + 2 + more.length];
    System.arraycopy(SMALL_SPLIT, 0, all, 0, SMALL_SPLIT.length);
    all[SMALL_SPLIT.length] = "--partition-index";
    all[SMALL_SPLIT.length + 1] = Integer.toString(index);
    System.arraycopy(more, 0, all, SMALL_SPLIT.length + 2, more.length);
    return all;
  }

  @Test
  @DisplayName("two parties run a 3-round MLP job to the end, exit 0, the final model beats 0.7 accuracy, and each "
      + "round's training and evaluation time is the parties' measurement")
  void jobCompletes() throws Exception {
    try (Federation federation = new Federation(dir, "it-complete")) {
      federation.serverArgs("--rounds", "3", "--min-parties", "2", "--model", "mlp");
      federation.startServer();
      Federation.RunningParty alice = federation.startParty(federation.party("alice"), args(0));
      Federation.RunningParty bob = federation.startParty(federation.party("bob"), args(1));

      assertThat(alice.exitCode().get(4, TimeUnit.MINUTES)).as(alice.err().toString()).isZero();
      assertThat(bob.exitCode().get(1, TimeUnit.MINUTES)).as(bob.err().toString()).isZero();
      assertThat(federation.roundsCompleted()).as(federation.statusText()).isEqualTo(3);
      assertThat(federation.status().orElseThrow().parties()).containsExactlyInAnyOrder("alice", "bob");
      assertThat(federation.awaitFinalAccuracy()).isGreaterThan(0.7);
      federation.assertRoundTimes(true);
    }
  }

  @Test
  @DisplayName("the server is SIGKILLed mid-job and restarted on its state: the same party processes finish every round")
  void survivesServerRestart() throws Exception {
    try (Federation federation = new Federation(dir, "it-restart")) {
      federation.serverArgs("--rounds", "4", "--min-parties", "2", "--model", "mlp");
      federation.startServer();
      Federation.RunningParty alice = federation.startParty(federation.party("alice"), args(0));
      Federation.RunningParty bob = federation.startParty(federation.party("bob"), args(1));

      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
          .until(() -> federation.roundsCompleted() >= 1);
      federation.killServer();
      assertThat(alice.exitCode().isDone()).isFalse();
      federation.startServer();

      assertThat(alice.exitCode().get(5, TimeUnit.MINUTES)).as(alice.err().toString()).isZero();
      assertThat(bob.exitCode().get(1, TimeUnit.MINUTES)).as(bob.err().toString()).isZero();
      assertThat(federation.roundsCompleted()).as(federation.statusText()).isEqualTo(4);
      assertThat(federation.serverStarts()).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("a party the server's allow-list does not name exits 5 saying it was refused")
  void refusedParty() throws Exception {
    try (Federation federation = new Federation(dir, "it-refused")) {
      federation.serverArgs("--rounds", "1", "--min-parties", "1",
          "--allow-party", "alice");
      federation.startServer();
      Federation.RunningParty mallory = federation.startParty(federation.party("mallory"), args(0));

      assertThat(mallory.exitCode().get(2, TimeUnit.MINUTES)).isEqualTo(5);
      System.out.println("refused party's stderr: " + mallory.err());
      assertThat(mallory.err().toString()).contains("PERMISSION_DENIED").contains("mallory");
    }
  }

  @Test
  @DisplayName("a party whose certificate comes from another CA exits 7 (TLS) with a message about TLS")
  void foreignCertificate() throws Exception {
    try (Federation federation = new Federation(dir, "it-foreign")) {
      federation.serverArgs("--rounds", "1", "--min-parties", "1");
      federation.startServer();
      Federation.RunningParty stranger = federation.startParty(federation.strangerParty("stranger"), args(0));

      assertThat(stranger.exitCode().get(2, TimeUnit.MINUTES)).as(stranger.err().toString()).isEqualTo(7);
      System.out.println("foreign party's stderr: " + stranger.err());
      assertThat(stranger.err().toString()).contains("TLS").contains("--cert");
    }
  }

  @Test
  @DisplayName("a party expecting another server name exits 7 (TLS) naming --server-name")
  void wrongServerName() throws Exception {
    try (Federation federation = new Federation(dir, "it-name")) {
      federation.serverArgs("--rounds", "1", "--min-parties", "1");
      federation.startServer();
      Federation.RunningParty alice = federation.startParty(federation.party("alice"),
          "impostor.flotilla.test", args(0));

      assertThat(alice.exitCode().get(2, TimeUnit.MINUTES)).as(alice.err().toString()).isEqualTo(7);
      System.out.println("misdirected party's stderr: " + alice.err());
      assertThat(alice.err().toString()).contains("--server-name");
    }
  }
}
