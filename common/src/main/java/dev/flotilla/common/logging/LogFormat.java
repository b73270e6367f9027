package dev.flotilla.common.logging;

import java.util.Locale;

/** How a log line is written: for a person reading a terminal, or one JSON object a line for a collector. */
public enum LogFormat {
  HUMAN,
  JSON;

  /** "human" or "json", any case; the message names what was given and what is accepted. */
  public static LogFormat parse(String text) {
    String name = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
    for (LogFormat f : values()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("log format '" + text + "' is not one of: human, json");
  }

  public String flagValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
