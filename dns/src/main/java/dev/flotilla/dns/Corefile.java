package dev.flotilla.dns;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A parsed Corefile: server blocks, their plugin directives (nested up to {@link #MAX_NESTING} levels) and top-level
 * {@code import} lines. The model keeps every token with the exact text around it (whitespace,
 * comments, quotes, CRLF), so {@link #render()} gives back the input byte for byte; edits made by
 * {@link CorefileEditor} splice new text in and leave every other byte alone.
 *
 * <p>Parsing follows CoreDNS's Caddyfile rules: a directive is the first token of a line plus the
 * rest of that line; a {@code {} at the end of a line opens a nested block closed by {@code }}.
 * Go templates ({@code "{{ .Name }}"}), {@code {$ENV}} placeholders and {@code import} lines are
 * kept as plain tokens.
 */
public final class Corefile {
  /**
   * Deepest nesting of blocks accepted: CoreDNS's own Corefiles nest two or three levels; a limit
   * keeps a hostile or broken ConfigMap from overflowing the parser's stack.
   */
  public static final int MAX_NESTING = 100;

  private final String source;
  private final List<Token> tokens;
  private final List<ServerBlock> serverBlocks;
  private final List<Directive> imports;

  private Corefile(String source, List<Token> tokens, List<ServerBlock> serverBlocks, List<Directive> imports) {
    this.source = source;
    this.tokens = tokens;
    this.serverBlocks = List.copyOf(serverBlocks);
    this.imports = List.copyOf(imports);
  }

  /**
   * Parses Corefile text.
   *
   * @throws CorefileParseException naming the line when the text is not a valid Corefile
   */
  public static Corefile parse(String text) {
    Objects.requireNonNull(text, "text");
    List<Token> tokens = CorefileLexer.tokens(text);
    Parser parser = new Parser(tokens);
    parser.parseAll();
    return new Corefile(text, List.copyOf(tokens), parser.blocks, parser.imports);
  }

  /** The Corefile text, rebuilt from the tokens and the text between them. */
  public String render() {
    StringBuilder out = new StringBuilder(source.length());
    int at = 0;
    for (Token t : tokens) {
      out.append(source, at, t.start); // whitespace and comments before the token
      out.append(source, t.start, t.end); // the token as written, quotes and escapes included
      at = t.end;
    }
    out.append(source, at, source.length());
    return out.toString();
  }

  public List<ServerBlock> serverBlocks() {
    return serverBlocks;
  }

  /** Top-level {@code import} lines (outside any server block). */
  public List<Directive> imports() {
    return imports;
  }

  /** The first non-snippet server block that serves {@code key} (e.g. {@code .:53}). */
  public Optional<ServerBlock> serverBlock(String key) {
    return serverBlocks.stream().filter(b -> !b.isSnippet() && b.serves(key)).findFirst();
  }

  String source() {
    return source;
  }

  /** True when {@code offset} lies inside a token (so a '#' there is not a comment). */
  boolean insideToken(int offset) {
    int lo = 0;
    int hi = tokens.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Token t = tokens.get(mid);
      if (offset < t.start) {
        hi = mid - 1;
      } else if (offset >= t.end) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return serverBlocks.stream().map(ServerBlock::toString).collect(Collectors.joining(", ", "Corefile[", "]"));
  }

  private static final class Parser {
    private final List<Token> tokens;
    private final List<ServerBlock> blocks = new ArrayList<>();
    private final List<Directive> imports = new ArrayList<>();
    private int i;
    private Token lastOpened;

    Parser(List<Token> tokens) {
      this.tokens = tokens;
    }

    private boolean sameLine(Token previous, Token next) {
      return next.line == previous.endLine;
    }

    void parseAll() {
      while (i < tokens.size()) {
        Token first = tokens.get(i);
        if (first.is("import")) {
          List<Token> line = new ArrayList<>();
          line.add(first);
          i++;
          while (i < tokens.size() && sameLine(tokens.get(i - 1), tokens.get(i))) {
            line.add(tokens.get(i++));
          }
          if (line.size() < 2) {
            throw new CorefileParseException(first.line, "'import' needs a file or snippet name");
          }
          imports.add(new Directive(line, null, List.of(), null));
          continue;
        }
        blocks.add(serverBlock());
      }
    }

    private ServerBlock serverBlock() {
      List<Token> keys = new ArrayList<>();
      Token first = tokens.get(i);
      while (i < tokens.size()) {
        Token t = tokens.get(i);
        if (t.is("{")) {
          break;
        }
        if (t.is("}")) {
          throw new CorefileParseException(t.line, "unexpected '}' with no '{' open");
        }
        if (!keys.isEmpty()) {
          Token previous = keys.get(keys.size() - 1);
          if (!sameLine(previous, t) && !previous.text.endsWith(",")) {
            throw new CorefileParseException(previous.line,
                "expected '{' after server block key" + (keys.size() > 1 ? "s" : "") + " '"
                    + keys.stream().map(k -> k.text).collect(Collectors.joining(" ")) + "'");
          }
        }
        keys.add(t);
        i++;
      }
      if (i >= tokens.size()) {
        throw new CorefileParseException(first.line, "expected '{' after server block key '" + first.text + "'");
      }
      if (keys.isEmpty()) {
        throw new CorefileParseException(tokens.get(i).line, "'{' with no server block key before it");
      }
      Token open = tokens.get(i++);
      lastOpened = open;
      List<Directive> directives = new ArrayList<>();
      Token close = lines(open, directives, 1);
      return new ServerBlock(keys, open, directives, close);
    }

    /** Parses directive lines up to the '}' matching {@code open}, the depth-th open block; returns that '}'. */
    private Token lines(Token open, List<Directive> out, int depth) {
      if (depth > MAX_NESTING) {
        throw new CorefileParseException(open.line, "blocks nested deeper than " + MAX_NESTING + " levels");
      }
      while (true) {
        if (i >= tokens.size()) {
          throw new CorefileParseException(open.line, "'{' is never closed"
              + (lastOpened != null && lastOpened != open ? " (the last '{' opened is at line " + lastOpened.line + ")" : ""));
        }
        Token t = tokens.get(i);
        if (t.is("}")) {
          i++;
          return t;
        }
        if (t.is("{")) {
          throw new CorefileParseException(t.line, "unexpected '{' at the start of a line");
        }
        List<Token> line = new ArrayList<>();
        line.add(t);
        i++;
        Token nestedOpen = null;
        Token nestedClose = null;
        List<Directive> children = new ArrayList<>();
        while (i < tokens.size() && sameLine(tokens.get(i - 1), tokens.get(i))) {
          Token arg = tokens.get(i);
          if (arg.is("}")) {
            break; // closes the enclosing block on this same line
          }
          if (arg.is("{")) {
            nestedOpen = arg;
            lastOpened = arg;
            i++;
            nestedClose = lines(arg, children, depth + 1);
            break;
          }
          line.add(arg);
          i++;
        }
        out.add(new Directive(line, nestedOpen, children, nestedClose));
      }
    }
  }
}
