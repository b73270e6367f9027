package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.CHROMIUM;
import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.ProcessGroup;
import dev.flotilla.testing.HeadlessChromium;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.StatusViewPage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The README's first command as a newcomer meets it: a fresh clone of this repository's committed HEAD,
 * no jar in it, and {@code bin/flotilla demo} run there, which builds the server, party and demo jars
 * itself and then runs the federation; Chromium watches the live view it prints. The build is offline
 * ({@code FLOTILLA_MAVEN_ARGS=-o}): everything it needs is in the local repository once this reactor
 * has built, and the build writes only to the clone's target/ directories.
 */
@RequiresRealServers({FASHION_MNIST, CHROMIUM})
@DisplayName("the README's first command in a fresh clone: bin/flotilla demo builds, runs, and its live view works")
class FreshCloneDemoIT {

  private static final int ROUNDS = 3;
  private static final List<String> PARTIES = List.of("party-1", "party-2");
  private static final Duration BUILD_AND_START = Duration.ofMinutes(40);

  @Test
  @DisplayName("bin/flotilla demo in a fresh clone builds its jars, prints the live view, whose charts gain a point per "
      + "round in Chromium, exits 0 and writes its JSON and HTML report")
  void freshCloneDemo(@TempDir Path dir) throws Exception {
    Path clone = cloneHead(dir.resolve("flotilla"));
    assertThat(clone.resolve("demo/target")).as("a fresh clone has no build output").doesNotExist();
    Path report = dir.resolve("report.json");

    try (ProcessGroup group = new ProcessGroup(Files.createDirectories(dir.resolve("logs")))) {
      long started = System.nanoTime();
      ChildProcess demo = group.start("demo", List.of("bin/flotilla", "demo", "--parties",
              Integer.toString(PARTIES.size()), "--rounds", Integer.toString(ROUNDS), "--eval-samples", "2000",
              "--report", report.toString(), "--dir", dir.resolve("work").toString()), clone,
          Map.of("FLOTILLA_MAVEN_ARGS", "-o", FlotillaJars.HOME_VARIABLE, clone.toString(),
              FlotillaJars.REPO_ROOT_VARIABLE, clone.toString()));
      String address = LiveViewWatch.address(demo, BUILD_AND_START);
      System.out.printf("FreshCloneDemoIT: built and started in %.0f s%n", (System.nanoTime() - started) / 1e9);
      assertThat(demo.log()).contains("[flotilla] building the server, party and demo jars");
      for (String module : List.of("aggregator-server", "party", "demo")) {
        assertThat(clone.resolve(module + "/target/" + module + ".jar")).isRegularFile();
      }

      ChromeDriver browser = HeadlessChromium.start();
      try {
        List<StatusViewPage> seen = LiveViewWatch.lookUntilExit(browser, address, demo, Duration.ofMinutes(15));
        OptionalInt exit = demo.waitFor(10, TimeUnit.SECONDS);
        if (exit.isEmpty() || exit.getAsInt() != 0) {
          fail("demo " + (exit.isEmpty() ? "still running" : "exited " + exit.getAsInt()) + "\n" + demo.tail(80));
        }
        LiveViewWatch.assertPointPerRound(seen, ROUNDS, PARTIES);

        JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
        assertThat(json.get("rounds_completed").getAsInt()).isEqualTo(ROUNDS);
        assertThat(json.get("parties").getAsInt()).isEqualTo(PARTIES.size());
        assertThat(json.getAsJsonArray("accuracy_per_round")).hasSize(ROUNDS);
        browser.get(HeadlessChromium.fileUrl(dir.resolve("report.html")));
        StatusViewPage offline = StatusViewPage.read(browser);
        assertThat(offline.progress()).startsWith("finished: 3 of 3 rounds, final accuracy ");
        assertThat(offline.points()).isEqualTo(Map.of("accuracy", ROUNDS, "loss", ROUNDS, "time", ROUNDS, "up", ROUNDS,
            "down", ROUNDS));
      } finally {
        browser.quit();
      }
      System.out.printf("FreshCloneDemoIT: clone to exit in %.0f s%n", (System.nanoTime() - started) / 1e9);
    }
  }

  /** {@code git clone} of the repository these tests run from, checked out at its HEAD commit. */
  private static Path cloneHead(Path into) {
    Path repository = FlotillaJars.locate().root();
    Map<String, String> env = Map.of();
    String head = ProcessRun.run(repository, Duration.ofMinutes(1), env, List.of("git", "rev-parse", "HEAD"))
        .requireSuccess().strip();
    ProcessRun.run(repository, Duration.ofMinutes(5), env,
        List.of("git", "clone", "--quiet", "--no-checkout", repository.toString(), into.toString())).requireSuccess();
    ProcessRun.run(into, Duration.ofMinutes(5), env, List.of("git", "checkout", "--quiet", "--detach", head))
        .requireSuccess();
    return into;
  }
}
