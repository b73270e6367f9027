package dev.flotilla.party.client;

/**
 * The reason a party sends with DeclineRound, made to fit what the server takes: one line (control
 * characters, e.g. the newlines of an external trainer's error output, become spaces) of at most
 * {@link #MAX_CHARS} characters, never empty.
 */
final class DeclineReason {

  /** The server's limit. */
  static final int MAX_CHARS = dev.flotilla.protocol.status.DeclineReasons.MAX_CHARS;
  private static final String CUT = " ...";

  private DeclineReason() {}

  static String of(String reason) {
    StringBuilder line = new StringBuilder(Math.min(reason == null ? 0 : reason.length(), MAX_CHARS + 1));
    if (reason != null) {
      for (int i = 0; i < reason.length() && line.length() <= MAX_CHARS; i++) {
        char c = reason.charAt(i);
        line.append(Character.isISOControl(c) ? ' ' : c);
      }
    }
    String text = line.toString().strip();
    if (text.isEmpty()) {
      return "no reason given";
    }
    if (text.length() > MAX_CHARS) {
      int end = MAX_CHARS - CUT.length();
      // never split a surrogate pair
      if (Character.isHighSurrogate(text.charAt(end - 1))) {
        end--;
      }
      return text.substring(0, end) + CUT;
    }
    return text;
  }
}
