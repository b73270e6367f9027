package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.CHROMIUM;
import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.ProcessGroup;
import dev.flotilla.testing.HeadlessChromium;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.StatusViewPage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The aggregator's web view in a real browser during a real federation: the demo jar runs the server
 * and three party jars training an MLP on Fashion-MNIST over mutual TLS, Chromium watches the page
 * the demo prints, and afterwards opens the HTML report the demo writes beside its JSON report.
 */
@RequiresRealServers({FASHION_MNIST, CHROMIUM})
@DisplayName("the web view in Chromium during a real federation (bin/flotilla demo)")
class WebViewIT {

  private static final int ROUNDS = 3;

  private final FlotillaJars jars = Federations.jars();

  @Test
  @DisplayName("the page the demo prints lists the three parties, connected, and each chart gains one point per completed "
      + "round while the job runs; the HTML report beside report.json shows the finished job with a point per round")
  void livePageAndReport(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report.json");
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      jars.requirePresent("demo", "aggregator-server", "party");
      List<String> command = new ArrayList<>(jars.javaCommand("demo", List.of(), List.of("--rounds",
          Integer.toString(ROUNDS), "--report", report.toString(),
          "--dir", dir.resolve("work").toString())));
      ChildProcess demo = group.start("demo", command, dir, Map.of(FlotillaJars.HOME_VARIABLE, jars.root().toString()));
      String address = LiveViewWatch.address(demo, Duration.ofMinutes(5));

      ChromeDriver browser = HeadlessChromium.start();
      try {
        List<StatusViewPage> seen = LiveViewWatch.lookUntilExit(browser, address, demo, Duration.ofMinutes(15));
        OptionalInt exit = demo.waitFor(10, TimeUnit.SECONDS);
        if (exit.isEmpty() || exit.getAsInt() != 0) {
          fail("demo " + (exit.isEmpty() ? "still running" : "exited " + exit.getAsInt()) + "\n" + demo.tail(80));
        }

        LiveViewWatch.assertPointPerRound(seen, ROUNDS, List.of("party-1", "party-2", "party-3"));

        Path html = dir.resolve("report.html");
        assertThat(demo.log()).contains("HTML report      " + html);
        browser.get(HeadlessChromium.fileUrl(html));
        StatusViewPage offline = StatusViewPage.read(browser);
        assertThat(offline.progress()).startsWith("finished: 3 of 3 rounds, final accuracy ");
        assertThat(offline.roundsCompleted()).isEqualTo(ROUNDS);
        assertThat(offline.points()).isEqualTo(Map.of("accuracy", ROUNDS, "loss", ROUNDS, "time", ROUNDS, "up", ROUNDS,
            "down", ROUNDS));
        assertThat(offline.partyNames()).containsExactlyInAnyOrder("party-1", "party-2", "party-3");
        assertThat(offline.source()).startsWith("report of the status of");
        assertThat(offline.chartWidth()).as("the inlined style sheet applied").isEqualTo(420);
      } finally {
        browser.quit();
      }
    }
  }
}
