package dev.flotilla.testing;

import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;

/**
 * What the job's web view (protocol's StatusView page, live or a report) shows in a browser, read in
 * one script call: the live page re-renders every second, so elements found one by one may be gone
 * by the time they are read.
 *
 * @param parties the parties table, a list of cells (party, state, last round, final accuracy) per row
 * @param points number of points (bars for {@code time}) per chart: accuracy, loss, time, up, down
 * @param roundsCompleted the rounds the header says are completed, -1 before the first status
 * @param chartWidth rendered width of the accuracy chart in CSS pixels (its style sheet says 420)
 */
public record StatusViewPage(String title, String job, String progress, int roundsCompleted, String source,
    List<List<String>> parties, Map<String, Integer> points, boolean injected, long chartWidth) {

  private static final String READ = String.join("\n",
      "var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };",
      "var count = function (s) { return all(s).length; };",
      "var progress = document.getElementById('progress');",
      "var chart = document.querySelector(\"svg[data-chart='accuracy']\");",
      "return {",
      "  title: document.title,",
      "  job: document.getElementById('job').textContent,",
      "  progress: progress.textContent,",
      "  rounds: progress.getAttribute('data-rounds-completed') || '-1',",
      "  source: document.getElementById('source').textContent,",
      "  parties: all('#parties tbody tr').map(function (tr) {",
      "    return Array.prototype.map.call(tr.cells, function (td) { return td.textContent; }); }),",
      "  accuracy: count(\"svg[data-chart='accuracy'] circle.point\"),",
      "  loss: count(\"svg[data-chart='loss'] circle.point\"),",
      "  time: count(\"svg[data-chart='time'] g.point\"),",
      "  up: count(\"svg[data-chart='bytes'] circle.point.s-up\"),",
      "  down: count(\"svg[data-chart='bytes'] circle.point.s-down\"),",
      "  injected: window.injected !== undefined,",
      "  width: chart ? Math.round(chart.getBoundingClientRect().width) : 0",
      "};");

  /** The page now. */
  @SuppressWarnings("unchecked")
  public static StatusViewPage read(JavascriptExecutor browser) {
    Map<String, Object> page = (Map<String, Object>) browser.executeScript(READ);
    Map<String, Integer> points = new java.util.LinkedHashMap<>();
    for (String chart : List.of("accuracy", "loss", "time", "up", "down")) {
      points.put(chart, ((Number) page.get(chart)).intValue());
    }
    return new StatusViewPage((String) page.get("title"), (String) page.get("job"), (String) page.get("progress"),
        Integer.parseInt((String) page.get("rounds")), (String) page.get("source"),
        (List<List<String>>) page.get("parties"), points, (Boolean) page.get("injected"),
        ((Number) page.get("width")).longValue());
  }

  /** The first cell of every row of the parties table. */
  public List<String> partyNames() {
    return parties.stream().map(row -> row.get(0)).toList();
  }
}
