package dev.flotilla.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.testing.StatusViewPage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The demo's live view as a browser sees it while the federation runs: the address the demo prints,
 * every look at the page until the demo exits, and what those looks must show (WebViewIT, FreshCloneDemoIT).
 */
final class LiveViewWatch {

  private static final Pattern LIVE_VIEW = Pattern.compile("live view +(http://127\\.0\\.0\\.1:[0-9]+/)");

  private LiveViewWatch() {}

  /** The live view's address once the demo has printed it; fails when the demo exits first. */
  static String address(ChildProcess demo, Duration within) {
    return await("the demo prints its live view").atMost(within)
        .failFast("the demo exited", () -> !demo.isAlive())
        .until(() -> liveView(demo.log()), Optional::isPresent).orElseThrow();
  }

  /** Opens the page and reads it five times a second until the demo exits. */
  static List<StatusViewPage> lookUntilExit(ChromeDriver browser, String address, ChildProcess demo, Duration within) {
    List<StatusViewPage> seen = new ArrayList<>();
    browser.get(address);
    await("the demo finishes while Chromium shows its page").atMost(within)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          seen.add(StatusViewPage.read(browser));
          return !demo.isAlive();
        });
    return seen;
  }

  /**
   * Every look at the rendered page: as many points in every chart as rounds completed; rounds 1 to
   * {@code rounds - 1} each seen as they completed (the last may land as the server exits, the report has
   * it); and a look with {@code parties} all listed as connected.
   */
  static void assertPointPerRound(List<StatusViewPage> seen, int rounds, List<String> parties) {
    List<StatusViewPage> rendered = seen.stream().filter(page -> page.roundsCompleted() >= 0).toList();
    assertThat(rendered).as("looks at the rendered page").isNotEmpty();
    for (StatusViewPage page : rendered) {
      int completed = page.roundsCompleted();
      assertThat(page.points()).as("points while %s", page.progress())
          .isEqualTo(Map.of("accuracy", completed, "loss", completed, "time", completed, "up", completed,
              "down", completed));
    }
    List<Integer> progression = rendered.stream().map(StatusViewPage::roundsCompleted).distinct().toList();
    System.out.printf("%d looks at the live page showed rounds completed %s%n", rendered.size(), progression);
    assertThat(progression).as("rounds completed, in the order the page showed them").isSorted();
    for (int round = 1; round < rounds; round++) {
      assertThat(progression).as("rounds completed, in the order the page showed them").contains(round);
    }
    assertThat(rendered).as("a look with the parties connected").anySatisfy(page -> {
      assertThat(page.partyNames()).containsExactlyInAnyOrderElementsOf(parties);
      assertThat(page.parties()).allSatisfy(row -> assertThat(row.get(1)).isEqualTo("connected"));
      assertThat(page.source()).startsWith("live: updated");
      assertThat(page.chartWidth()).isEqualTo(420);
    });
  }

  private static Optional<String> liveView(String log) {
    Matcher m = LIVE_VIEW.matcher(log);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }
}
