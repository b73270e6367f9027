package dev.flotilla.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Figures a cluster-tier scenario measured, for a bench/ script that runs it: {@code key=value} lines written to the
 * file the system property {@value #PROPERTY} names (nothing without it). The script, not the test, reads them
 * against its limits: the test asserts behaviour only.
 */
final class BenchReport {
  static final String PROPERTY = "flotilla.bench.report";

  private final Map<String, String> figures = new LinkedHashMap<>();

  BenchReport put(String key, Object value) {
    figures.put(key, String.valueOf(value));
    return this;
  }

  /** Writes the figures so far (again, whole) when a report was asked for. */
  void write() {
    String file = System.getProperty(PROPERTY);
    if (file == null || file.isBlank()) {
      return;
    }
    StringBuilder text = new StringBuilder();
    figures.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    try {
      Files.writeString(Path.of(file), text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the bench report " + file, e);
    }
  }
}
