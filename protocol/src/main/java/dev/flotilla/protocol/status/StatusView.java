package dev.flotilla.protocol.status;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * The web view of a {@link JobStatus}: one page (resources {@code view/index.html}, {@code view.js},
 * {@code view.css} beside this class, no third-party code) that shows the job, its parties and a chart
 * per figure with a point per completed round. The aggregator serves it live ({@link #asset}; the page
 * polls {@link #STATUS_PATH}, the status file's document); {@link #report} inlines the same page, its
 * script, style and a status into one self-contained HTML file.
 */
public final class StatusView {

  /** Where the live page reads the status, relative to the page: {@link StatusJson#write}'s document. */
  public static final String STATUS_PATH = "status.json";

  /**
   * The Content-Security-Policy of the live page: its own script, style and status only; no inline
   * code, no other origin, no framing, no forms.
   */
  public static final String LIVE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private static final String STYLE_LINK = "<link rel=\"stylesheet\" href=\"view.css\">";
  private static final String SCRIPT_TAG = "<script src=\"view.js\"></script>";
  private static final String CHARSET = "<meta charset=\"utf-8\">";

  /** A file of the live view. */
  public record Asset(String contentType, byte[] bytes) {}

  private static final String PAGE = resource("index.html");
  private static final String SCRIPT = resource("view.js");
  private static final String STYLE = resource("view.css");
  private static final Map<String, Asset> ASSETS = Map.of(
      "", new Asset("text/html; charset=utf-8", PAGE.getBytes(StandardCharsets.UTF_8)),
      "view.js", new Asset("text/javascript; charset=utf-8", SCRIPT.getBytes(StandardCharsets.UTF_8)),
      "view.css", new Asset("text/css; charset=utf-8", STYLE.getBytes(StandardCharsets.UTF_8)));

  private StatusView() {}

  /** The file of the live view named {@code name} relative to the page ("" is the page), if it is one. */
  public static Optional<Asset> asset(String name) {
    return Optional.ofNullable(ASSETS.get(name.equals("index.html") ? "" : name));
  }

  /**
   * The page with its style, its script and {@code status} inlined: a file that shows the same charts
   * offline. Its Content-Security-Policy allows exactly the inlined script and style (by hash); the
   * status is an inert JSON data block, escaped so that no string in it can close the block.
   */
  public static String report(JobStatus status) {
    String policy = "default-src 'none'; script-src '" + sha256(SCRIPT) + "'; style-src '" + sha256(STYLE)
        + "'; base-uri 'none'; form-action 'none'";
    return replaceOnce(replaceOnce(replaceOnce(PAGE,
        CHARSET, CHARSET + "\n<meta http-equiv=\"Content-Security-Policy\" content=\"" + policy + "\">"),
        STYLE_LINK, "<style>" + STYLE + "</style>"),
        SCRIPT_TAG, "<script type=\"application/json\" id=\"flotilla-status\">" + dataBlock(StatusJson.write(status))
            + "</script>\n<script>" + SCRIPT + "</script>");
  }

  /**
   * {@code json} safe inside a script element: {@code <} only occurs inside JSON strings, where
   * {@code \u003c} means the same character, so no {@code </script>} or {@code <!--} can appear.
   */
  static String dataBlock(String json) {
    return json.replace("<", "\\u003c");
  }

  private static String replaceOnce(String text, String marker, String replacement) {
    int at = text.indexOf(marker);
    if (at < 0 || text.indexOf(marker, at + 1) >= 0) {
      throw new IllegalStateException("view/index.html must hold " + marker + " exactly once");
    }
    return text.substring(0, at) + replacement + text.substring(at + marker.length());
  }

  private static String sha256(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return "sha256-" + Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = StatusView.class.getResourceAsStream("view/" + name)) {
      if (in == null) {
        throw new IllegalStateException("view/" + name + " is missing from the protocol jar");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String lower = text.toLowerCase(java.util.Locale.ROOT);
      if (!name.equals("index.html") && (lower.contains("<script") || lower.contains("</style") || lower.contains("<!--"))) {
        // inlined into the report, such a string would end (or change the parsing of) the element early
        throw new IllegalStateException("view/" + name + " must not contain <script, </script, </style or <!--");
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read view/" + name + " from the protocol jar", e);
    }
  }
}
