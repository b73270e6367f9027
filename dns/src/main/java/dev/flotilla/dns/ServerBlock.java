package dev.flotilla.dns;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A server block: its keys ({@code .:53}, {@code example.org:5353}, or {@code (snippet)}) and its
 * plugin directives.
 */
public final class ServerBlock {
  private final List<Token> keys;
  private final Token openBrace;
  private final List<Directive> directives;
  private final Token closeBrace;

  ServerBlock(List<Token> keys, Token openBrace, List<Directive> directives, Token closeBrace) {
    this.keys = List.copyOf(keys);
    this.openBrace = openBrace;
    this.directives = List.copyOf(directives);
    this.closeBrace = closeBrace;
  }

  /** The keys as written, trailing commas removed. */
  public List<String> keys() {
    return keys.stream()
        .map(t -> t.text.endsWith(",") ? t.text.substring(0, t.text.length() - 1) : t.text)
        .filter(k -> !k.isEmpty())
        .collect(Collectors.toUnmodifiableList());
  }

  public List<Directive> directives() {
    return directives;
  }

  /** The first top-level directive with this name. */
  public Optional<Directive> directive(String name) {
    return directives.stream().filter(d -> d.name().equals(name)).findFirst();
  }

  /** A snippet definition {@code (name) { ... }} rather than a server. */
  public boolean isSnippet() {
    return keys.size() == 1 && keys.get(0).text.startsWith("(") && keys.get(0).text.endsWith(")");
  }

  /** True when one of the keys denotes {@code key}, comparing zones and ports ({@code .} means {@code .:53}). */
  public boolean serves(String key) {
    String wanted = normaliseKey(key);
    return keys().stream().map(ServerBlock::normaliseKey).anyMatch(wanted::equals);
  }

  /** 1-based line of the first key. */
  public int line() {
    return keys.get(0).line;
  }

  Token openBrace() {
    return openBrace;
  }

  Token closeBrace() {
    return closeBrace;
  }

  static String normaliseKey(String key) {
    String k = key.trim().toLowerCase(Locale.ROOT);
    if (k.startsWith("dns://")) {
      k = k.substring("dns://".length());
    }
    int colon = k.lastIndexOf(':');
    if (colon < 0) {
      k = k + ":53";
    }
    String zone = k.substring(0, k.lastIndexOf(':'));
    if (zone.length() > 1 && zone.endsWith(".")) {
      zone = zone.substring(0, zone.length() - 1);
    }
    return zone + k.substring(k.lastIndexOf(':'));
  }

  @Override
  public String toString() {
    return String.join(" ", keys()) + " {" + directives.size() + " directives}";
  }
}
