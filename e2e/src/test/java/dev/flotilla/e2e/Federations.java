package dev.flotilla.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.testing.RealServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The e2e harness: a {@link LocalFederation} (server and party jars as real processes over real
 * mutual TLS) started from the reactor's target/ directories, and waits on its status file.
 */
final class Federations {

  /** Settings every acceptance run shares: Dirichlet(0.5) of the full training set, 1 local epoch. */
  static final long SEED = 42;

  private Federations() {}

  private static FlotillaJars snapshot;

  /**
   * The reactor's server, party and demo jars, copied once per test JVM: a sibling rebuilding the
   * checkout while a federation runs would otherwise pull classes from under its JVMs.
   */
  static synchronized FlotillaJars jars() {
    if (snapshot == null) {
      try {
        Path dir = java.nio.file.Files.createTempDirectory("flotilla-e2e-jars-");
        snapshot = FlotillaJars.locate().snapshot(dir, "aggregator-server", "party", "demo");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(dir), "flotilla-e2e-jars-cleanup"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return snapshot;
  }

  private static void deleteRecursively(Path root) {
    try (var paths = java.nio.file.Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (java.io.IOException | java.io.UncheckedIOException ignored) {
      // a temporary directory left behind is harmless
    }
  }

  static LocalFederation.Settings settings() {
    return new LocalFederation.Settings()
        .parties(3)
        .model("mlp")
        .partition("dirichlet:0.5")
        .seed(SEED)
        .dataDirectory(RealServer.fashionMnistDirectory())
        .localEpochs(1)
        .batchSize(32)
        .roundTimeout(Duration.ofSeconds(600));
  }

  static LocalFederation start(LocalFederation.Settings settings, Path directory) {
    return LocalFederation.prepare(settings, jars(), directory).start();
  }

  /** Waits until the status file satisfies {@code condition}; fails at once (with logs) if the server exits. */
  static JobStatus awaitStatus(LocalFederation federation, String what, Predicate<JobStatus> condition,
      Duration timeout) {
    try {
      return await(what)
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(200))
          .failFast("the server exited", () -> !federation.server().isAlive()
              && federation.status().filter(condition).isEmpty())
          .until(() -> federation.status().filter(condition), Optional::isPresent)
          .orElseThrow();
    } catch (ConditionTimeoutException | org.awaitility.core.TerminalFailureException e) {
      return fail(e.getMessage() + "\nstatus: " + federation.status().map(StatusJson::write).orElse("none")
          + "\n" + federation.logTails(40));
    }
  }

  /**
   * Waits for the server to exit 0 and then for every party (but those the test killed) to exit 0; returns the
   * final status, which must say the job finished.
   */
  static JobStatus awaitFinished(LocalFederation federation, Duration timeout, ChildProcess... killedByTheTest) {
    ChildProcess server = federation.server();
    OptionalInt serverExit = server.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (serverExit.isEmpty() || serverExit.getAsInt() != 0) {
      fail("server " + (serverExit.isEmpty() ? "still running after " + timeout : "exited " + serverExit.getAsInt())
          + "\nstatus: " + federation.status().map(StatusJson::write).orElse("none")
          + "\n" + federation.logTails(60));
    }
    for (ChildProcess party : federation.parties()) {
      if (java.util.Arrays.asList(killedByTheTest).contains(party)) {
        continue;
      }
      OptionalInt code = party.waitFor(90, TimeUnit.SECONDS);
      if (code.isEmpty() || code.getAsInt() != 0) {
        fail(party.name() + (code.isEmpty() ? " still running 90 s after the server finished" : " exited " + code.getAsInt())
            + "\n" + federation.logTails(40));
      }
    }
    JobStatus status = federation.status().orElseGet(() -> fail("no status file " + federation.statusFile()));
    assertThat(status.finished()).as("finished in %s", StatusJson.write(status)).isTrue();
    return status;
  }
}
