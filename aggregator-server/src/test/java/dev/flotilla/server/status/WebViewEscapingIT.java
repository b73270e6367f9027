package dev.flotilla.server.status;

import static dev.flotilla.testing.RealServer.CHROMIUM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.LateOrDropped;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.RoundTimes;
import dev.flotilla.protocol.status.StatusView;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.testing.HeadlessChromium;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.StatusViewPage;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The page's escaping, in a real browser: every string of the status that a party or a certificate
 * chose is shown as text, live (from the server's /status.json) and in the self-contained report, and
 * the page's own script and style run under its Content-Security-Policy.
 */
@RequiresRealServers(CHROMIUM)
@DisplayName("the web view in Chromium shows hostile party names as text, live and in the report")
class WebViewEscapingIT {

  static final String SCRIPT_NAME = "<script>window.injected = 1</script>";
  static final String IMAGE_NAME = "<img src=x onerror=\"window.injected = 2\">";
  static final String CLOSING_NAME = "</td></tr></tbody></table><h1 id=injected>x</h1>";
  static final String REASON = "rejected: <b id=injected-reason>bold</b>";

  private ChromeDriver browser;

  /** A running job in round 3 of 4 whose parties, job and one refusal reason are named to break out of markup. */
  static JobStatus hostile() {
    List<String> parties = List.of(SCRIPT_NAME, IMAGE_NAME, CLOSING_NAME);
    RoundRecord r1 = new RoundRecord(1, 1, List.of(SCRIPT_NAME, IMAGE_NAME), Map.of(CLOSING_NAME, REASON), 300, 0,
        Map.of(MetricNames.ACCURACY, 0.3, MetricNames.LOSS, 1.8), 4.0, 0.01, new RoundTimes(3.0, 0.5, 0.5), 1_000L)
        .withBytesTotals(1_000_000, 2_000_000);
    RoundRecord r2 = new RoundRecord(2, 1, List.of(SCRIPT_NAME, IMAGE_NAME), Map.of(CLOSING_NAME, REASON), 300, 1,
        Map.of(MetricNames.ACCURACY, 0.6, MetricNames.LOSS, 1.1), 3.0, 0.01, new RoundTimes(2.0, 0.5, 0.5), 2_000L)
        .withBytesTotals(2_500_000, 4_000_000);
    return new JobStatus("<i>job</i>", "mlp", null, null, null, "fedavg", 2, 4, false, 2, "open", null, 3, parties,
        List.of(SCRIPT_NAME, IMAGE_NAME), 3, 0.1, Arrays.asList(0.6, null), null,
        List.of(LateOrDropped.of(r1), LateOrDropped.of(r2)), List.of(r1, r2), Map.of(), 2_500_000, 4_000_000,
        "BoringSSL", 3_000L, null, null);
  }

  @BeforeEach
  void startBrowser() {
    browser = HeadlessChromium.start();
  }

  @AfterEach
  void quitBrowser() {
    browser.quit();
  }

  @Test
  @DisplayName("live: the parties table lists the three names as they are, no markup of theirs exists, no script of "
      + "theirs ran, and the charts have a point for each of the 2 rounds")
  void live() throws Exception {
    HTTPServer server = WebView.serve("127.0.0.1", 0, new ServerMetrics().registry(),
        new RecentStatus(WebViewEscapingIT::hostile, Clock.systemUTC()));
    try {
      browser.get("http://127.0.0.1:" + server.getPort() + "/");
      assertShownAsText();
      assertThat(StatusViewPage.read(browser).source()).startsWith("live: updated");
    } finally {
      server.close();
    }
  }

  @Test
  @DisplayName("report: the self-contained file shows the same, its inlined script and style allowed by their hashes")
  void report(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report.html");
    Files.writeString(report, StatusView.report(hostile()));

    browser.get(HeadlessChromium.fileUrl(report));

    assertShownAsText();
    assertThat(StatusViewPage.read(browser).source()).startsWith("report of the status of");
  }

  private void assertShownAsText() {
    StatusViewPage page = await("the parties table").atMost(Duration.ofSeconds(20))
        .until(() -> StatusViewPage.read(browser), p -> p.parties().size() == 3);
    assertThat(page.partyNames()).containsExactly(SCRIPT_NAME, IMAGE_NAME, CLOSING_NAME);
    assertThat(page.parties()).allSatisfy(row -> assertThat(row).hasSize(4));
    assertThat(page.parties().get(2)).containsExactly(CLOSING_NAME, "disconnected", "round 2: " + REASON, "–");
    assertThat(page.job()).isEqualTo("<i>job</i>");
    assertThat(page.title()).isEqualTo("Flotilla job <i>job</i>");
    assertThat(page.injected()).as("a script of the status ran").isFalse();
    assertThat(browser.findElements(By.cssSelector("img, #injected, #injected-reason, b, h1 i"))).isEmpty();
    assertThatThrownBy(() -> browser.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    assertThat(page.points()).isEqualTo(Map.of("accuracy", 2, "loss", 2, "time", 2, "up", 2, "down", 2));
    assertThat(page.chartWidth()).as("the style sheet applied").isEqualTo(420);
    assertThat(page.progress()).isEqualTo("round 3 of 4 in progress (2 completed)");
    assertThat(page.roundsCompleted()).isEqualTo(2);
  }
}
