package dev.flotilla.common;

/** A JSON string literal, written by hand where a JSON library would be a dependency for one method. */
public final class JsonText {
  private JsonText() {}

  /** Appends {@code value} as a quoted JSON string (control characters escaped), or {@code null}. */
  public static StringBuilder quote(StringBuilder out, String value) {
    if (value == null) {
      return out.append("null");
    }
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }
}
