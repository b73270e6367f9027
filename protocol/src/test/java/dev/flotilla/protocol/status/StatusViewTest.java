package dev.flotilla.protocol.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StatusViewTest {

  static final String SCRIPT_NAME = "</script><script>alert(1)</script>";
  static final String IMAGE_NAME = "<img src=x onerror=alert(2)>";
  static final String COMMENT_NAME = "<!--<script>";

  /** A finished two-round job whose parties (and a refusal reason) are named to break out of markup. */
  static JobStatus hostile() {
    List<String> parties = List.of(SCRIPT_NAME, IMAGE_NAME, COMMENT_NAME);
    RoundRecord r1 = new RoundRecord(1, 1, List.of(SCRIPT_NAME, IMAGE_NAME), Map.of(COMMENT_NAME, "rejected: </style>"),
        300, 0, Map.of(MetricNames.ACCURACY, 0.25, MetricNames.LOSS, 1.5), 4.0, 0.01, new RoundTimes(3.0, 0.5, 0.5),
        1_000L).withBytesTotals(1_000_000, 2_000_000);
    RoundRecord r2 = new RoundRecord(2, 1, parties, Map.of(), 450, 1,
        Map.of(MetricNames.ACCURACY, 0.5, MetricNames.LOSS, 1.0), 3.0, 0.01, new RoundTimes(2.0, 0.5, 0.5),
        2_000L).withBytesTotals(2_500_000, 4_000_000);
    return new JobStatus("job-<b>1</b>", "mlp", null, null, null, "fedavg", 2, 2, true, 2, "open", null, 3, parties,
        List.of(SCRIPT_NAME), null, 0.1, java.util.Arrays.asList(0.5, 0.75), 0.75,
        List.of(LateOrDropped.of(r1), LateOrDropped.of(r2)), List.of(r1, r2),
        Map.of(IMAGE_NAME, Map.of(MetricNames.ACCURACY, 0.75, MetricNames.NUM_SAMPLES, 100.0)), 2_500_000, 4_000_000,
        "BoringSSL", 3_000L, null, null);
  }

  @Test
  @DisplayName("the report inlines the status as an inert JSON block that no party name can close: it holds "
      + "exactly the page's two script elements, and the block reads back as the status")
  void reportKeepsHostileNamesInsideTheDataBlock() throws Exception {
    JobStatus status = hostile();

    String report = StatusView.report(status);

    assertThat(count(report.toLowerCase(), "<script")).isEqualTo(2);
    assertThat(count(report.toLowerCase(), "</script")).isEqualTo(2);
    assertThat(count(report.toLowerCase(), "</style")).isEqualTo(1);
    assertThat(report).doesNotContain("<img", "<!--", "<b>");
    Matcher data = Pattern.compile("<script type=\"application/json\" id=\"flotilla-status\">(.*?)</script>",
        Pattern.DOTALL).matcher(report);
    assertThat(data.find()).isTrue();
    assertThat(data.group(1)).doesNotContain("<");
    assertThat(StatusJson.read(data.group(1))).isEqualTo(status);
  }

  @Test
  @DisplayName("the report's Content-Security-Policy allows exactly its inlined script and style, by hash, and "
      + "nothing from elsewhere")
  void reportPolicyHashesItsOwnCode() throws Exception {
    String report = StatusView.report(hostile());

    String script = between(report, "<script>", "</script>");
    String style = between(report, "<style>", "</style>");
    String policy = between(report, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\">");
    assertThat(policy).isEqualTo("default-src 'none'; script-src '" + sha256(script) + "'; style-src '" + sha256(style)
        + "'; base-uri 'none'; form-action 'none'");
    assertThat(script).isEqualTo(new String(StatusView.asset("view.js").orElseThrow().bytes(), StandardCharsets.UTF_8));
    assertThat(report).doesNotContain("src=\"", "href=\"");
  }

  @Test
  @DisplayName("the live view has three files, the page under \"\" and index.html; every other name is none")
  void assets() {
    assertThat(StatusView.asset("").orElseThrow().contentType()).isEqualTo("text/html; charset=utf-8");
    assertThat(StatusView.asset("index.html").orElseThrow().bytes()).isEqualTo(StatusView.asset("").orElseThrow().bytes());
    assertThat(StatusView.asset("view.js").orElseThrow().contentType()).isEqualTo("text/javascript; charset=utf-8");
    assertThat(StatusView.asset("view.css").orElseThrow().contentType()).isEqualTo("text/css; charset=utf-8");
    for (String other : List.of("status.json", "../view.js", "view/view.js", "StatusView.class", "VIEW.JS", "view.js/")) {
      assertThat(StatusView.asset(other)).as(other).isEmpty();
    }
    // the page loads its own files only: nothing from another origin
    String page = new String(StatusView.asset("").orElseThrow().bytes(), StandardCharsets.UTF_8);
    assertThat(page).contains("<script src=\"view.js\"></script>", "<link rel=\"stylesheet\" href=\"view.css\">")
        .doesNotContain("http:", "https:", "//");
  }

  @Test
  @DisplayName("the data block escapes every '<' of the JSON (inside strings only) as \\u003c")
  void dataBlock() {
    assertThat(StatusView.dataBlock("{\"n\":\"</script><!--\"}")).isEqualTo("{\"n\":\"\\u003c/script>\\u003c!--\"}");
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
      n++;
    }
    return n;
  }

  private static String between(String text, String start, String end) {
    int from = text.indexOf(start);
    assertThat(from).as(start).isNotNegative();
    int to = text.indexOf(end, from + start.length());
    return text.substring(from + start.length(), to);
  }

  private static String sha256(String text) throws Exception {
    return "sha256-" + Base64.getEncoder().encodeToString(
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
