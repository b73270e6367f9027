package dev.flotilla.dns;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Corefile into tokens the way CoreDNS's Caddyfile lexer does: whitespace separates
 * tokens, {@code #} starts a comment to the end of the line, double quotes group a token (a
 * backslash escapes a quote inside them), and {@code \r} is ignored. Everything between tokens
 * (whitespace, comments) is kept as trivia so the text can be rebuilt exactly.
 */
final class CorefileLexer {

  private CorefileLexer() {}

  static List<Token> tokens(String src) {
    List<Token> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      if (c == '\n') {
        line++;
        i++;
        continue;
      }
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      }
      if (c == '#') {
        while (i < n && src.charAt(i) != '\n') {
          i++;
        }
        continue;
      }
      int start = i;
      int startLine = line;
      if (c == '"') {
        StringBuilder text = new StringBuilder();
        i++;
        boolean closed = false;
        boolean escaped = false;
        while (i < n) {
          char q = src.charAt(i++);
          if (!escaped && q == '\\') {
            escaped = true;
            continue;
          }
          if (!escaped && q == '"') {
            closed = true;
            break;
          }
          if (q == '\n') {
            line++;
          }
          if (escaped && q != '"') {
            text.append('\\'); // as in Caddy: a backslash escapes only a quote
          }
          text.append(q);
          escaped = false;
        }
        if (!closed) {
          throw new CorefileParseException(startLine, "unterminated quoted string");
        }
        out.add(new Token(text.toString(), true, start, i, startLine, line));
        continue;
      }
      // a bare token ends at whitespace; a '#' inside it starts a comment
      while (i < n && !Character.isWhitespace(src.charAt(i)) && src.charAt(i) != '#') {
        i++;
      }
      out.add(new Token(src.substring(start, i), false, start, i, startLine, startLine));
    }
    return out;
  }
}
