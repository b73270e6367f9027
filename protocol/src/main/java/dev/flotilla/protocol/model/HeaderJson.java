package dev.flotilla.protocol.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, bounded JSON parser for safetensors headers: objects (duplicate keys refused), arrays,
 * strings, integers, true/false/null; nesting at most {@link #MAX_DEPTH} deep (a header needs 3).
 * Fractions and exponents are refused because no field of a header holds one. Recursion is bounded
 * by the depth, memory by the header's length, which the caller bounded before reading it.
 */
final class HeaderJson {

  static final int MAX_DEPTH = 8;

  /** A syntax error at a position of the header text. */
  static final class SyntaxException extends Exception {
    SyntaxException(String message, int position) {
      super("header JSON at character " + position + ": " + message);
    }
  }

  private final String text;
  private int pos;

  private HeaderJson(String text) {
    this.text = text;
  }

  /** Map (LinkedHashMap, insertion order), List, String, Long, Boolean or null. */
  static Object parse(String text) throws SyntaxException {
    HeaderJson parser = new HeaderJson(text);
    parser.skipWhitespace();
    Object value = parser.value(0);
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw new SyntaxException("unexpected '" + text.charAt(parser.pos) + "' after the end of the JSON value", parser.pos);
    }
    return value;
  }

  private Object value(int depth) throws SyntaxException {
    if (depth > MAX_DEPTH) {
      throw new SyntaxException("nested more than " + MAX_DEPTH + " levels deep", pos);
    }
    if (pos >= text.length()) {
      throw new SyntaxException("unexpected end of the header", pos);
    }
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw new SyntaxException("unexpected '" + c + "'", pos);
      }
    };
  }

  private Map<String, Object> object(int depth) throws SyntaxException {
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw new SyntaxException("expected a string key", pos);
      }
      int keyAt = pos;
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Object v = value(depth + 1);
      if (map.containsKey(key)) {
        throw new SyntaxException("duplicate key \"" + abbreviate(key) + "\"", keyAt);
      }
      map.put(key, v);
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == '}') {
        return map;
      }
      if (c != ',') {
        throw new SyntaxException("expected ',' or '}'", pos - 1);
      }
    }
  }

  private List<Object> array(int depth) throws SyntaxException {
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth + 1));
      skipWhitespace();
      char c = peek();
      pos++;
      if (c == ']') {
        return list;
      }
      if (c != ',') {
        throw new SyntaxException("expected ',' or ']'", pos - 1);
      }
    }
  }

  private String string() throws SyntaxException {
    int start = pos;
    pos++; // '"'
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new SyntaxException("unterminated string", start);
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        checkSurrogates(sb, start);
        return sb.toString();
      }
      if (c < 0x20) {
        throw new SyntaxException("control character in a string", pos - 1);
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= text.length()) {
        throw new SyntaxException("unterminated string", start);
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (pos + 4 > text.length()) {
            throw new SyntaxException("truncated \\u escape", pos - 2);
          }
          int code = 0;
          for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            if (digit < 0) {
              throw new SyntaxException("invalid \\u escape", pos - 2);
            }
            code = code * 16 + digit;
          }
          pos += 4;
          sb.append((char) code);
        }
        default -> throw new SyntaxException("invalid escape '\\" + e + "'", pos - 2);
      }
    }
  }

  /** A lone UTF-16 surrogate (from a \\u escape) is no character: refused, as serde_json does. */
  private static void checkSurrogates(CharSequence s, int start) throws SyntaxException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new SyntaxException("string with an unpaired surrogate", start);
      }
    }
  }

  private Long number() throws SyntaxException {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    int digitsStart = pos;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
      pos++;
    }
    if (pos == digitsStart) {
      throw new SyntaxException("expected a digit", pos);
    }
    if (pos - digitsStart > 1 && text.charAt(digitsStart) == '0') {
      throw new SyntaxException("number with a leading zero", start);
    }
    if (pos < text.length() && (text.charAt(pos) == '.' || text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
      throw new SyntaxException("only integers are allowed in a safetensors header", start);
    }
    try {
      return Long.parseLong(text, start, pos, 10);
    } catch (NumberFormatException e) {
      throw new SyntaxException("integer " + abbreviate(text.substring(start, pos)) + " does not fit in 64 bits", start);
    }
  }

  private Object literal(String word, Object value) throws SyntaxException {
    if (!text.startsWith(word, pos)) {
      throw new SyntaxException("unexpected '" + text.charAt(pos) + "'", pos);
    }
    pos += word.length();
    return value;
  }

  private void expect(char c) throws SyntaxException {
    if (peek() != c) {
      throw new SyntaxException("expected '" + c + "'", pos);
    }
    pos++;
  }

  private char peek() throws SyntaxException {
    if (pos >= text.length()) {
      throw new SyntaxException("unexpected end of the header", pos);
    }
    return text.charAt(pos);
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  /** A string shortened for an error message, so a hostile 100 MiB key does not end up in a log. */
  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
