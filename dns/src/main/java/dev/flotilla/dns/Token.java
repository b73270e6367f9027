package dev.flotilla.dns;

/**
 * One Caddyfile token: its text (quotes removed, as CoreDNS sees it), its exact source span, and
 * the lines it starts and ends on (a quoted token may span lines).
 */
final class Token {
  final String text;
  final boolean quoted;
  final int start;
  final int end;
  final int line;
  final int endLine;

  Token(String text, boolean quoted, int start, int end, int line, int endLine) {
    this.text = text;
    this.quoted = quoted;
    this.start = start;
    this.end = end;
    this.line = line;
    this.endLine = endLine;
  }

  boolean is(String bare) {
    return !quoted && text.equals(bare);
  }

  @Override
  public String toString() {
    return text + "@" + line;
  }
}
