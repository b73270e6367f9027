package dev.flotilla.dns;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One plugin line of a server block ({@code forward . /etc/resolv.conf}) with its nested block
 * when it has one ({@code kubernetes cluster.local { ... }}). Nested lines are directives too.
 */
public final class Directive {
  private final List<Token> tokens;
  private final List<Directive> children;
  private final Token openBrace;
  private final Token closeBrace;

  Directive(List<Token> tokens, Token openBrace, List<Directive> children, Token closeBrace) {
    this.tokens = List.copyOf(tokens);
    this.openBrace = openBrace;
    this.children = List.copyOf(children);
    this.closeBrace = closeBrace;
  }

  /** The plugin (or sub-option) name: the first token. */
  public String name() {
    return tokens.get(0).text;
  }

  /** The arguments after the name on the same line, quotes removed. */
  public List<String> args() {
    return tokens.subList(1, tokens.size()).stream().map(t -> t.text).collect(Collectors.toUnmodifiableList());
  }

  public boolean hasBlock() {
    return openBrace != null;
  }

  /** The lines of the nested block; empty when there is none. */
  public List<Directive> block() {
    return children;
  }

  /** 1-based line of the name. */
  public int line() {
    return tokens.get(0).line;
  }

  int startOffset() {
    return tokens.get(0).start;
  }

  int endOffset() {
    return closeBrace != null ? closeBrace.end : tokens.get(tokens.size() - 1).end;
  }

  int endLine() {
    return closeBrace != null ? closeBrace.endLine : tokens.get(tokens.size() - 1).endLine;
  }

  @Override
  public String toString() {
    return name() + (args().isEmpty() ? "" : " " + String.join(" ", args())) + (hasBlock() ? " {...}" : "");
  }
}
