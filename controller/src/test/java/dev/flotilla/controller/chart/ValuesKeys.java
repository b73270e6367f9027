package dev.flotilla.controller.chart;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The documented keys of a values.yaml: each top-level key, or its children where they are all plain
 * values ({@code image.repository}, {@code watch.namespaces}); a Kubernetes structure such as
 * {@code resources} counts as one key.
 */
final class ValuesKeys {

  private ValuesKeys() {}

  static List<String> of(List<String> lines) {
    Map<?, ?> values;
    try {
      values = new YAMLMapper().readValue(String.join("\n", lines), Map.class);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    List<String> keys = new ArrayList<>();
    values.forEach((key, value) -> {
      if (value instanceof Map<?, ?> children && !children.isEmpty()
          && children.values().stream().noneMatch(Map.class::isInstance)) {
        children.keySet().forEach(child -> keys.add(key + "." + child));
      } else {
        keys.add(String.valueOf(key));
      }
    });
    return keys;
  }

  /** Whether the line that defines {@code key} (dotted) follows a comment line. */
  static boolean commented(List<String> lines, String key) {
    String[] path = key.split("\\.");
    int from = 0;
    for (int depth = 0; depth < path.length; depth++) {
      String prefix = "  ".repeat(depth) + path[depth] + ":";
      int found = -1;
      for (int i = from; i < lines.size(); i++) {
        if (lines.get(i).startsWith(prefix)) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        return false;
      }
      from = found + 1;
    }
    int line = from - 1;
    return line > 0 && lines.get(line - 1).trim().startsWith("#");
  }
}
