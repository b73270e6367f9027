package dev.flotilla.dns;

/** A Corefile that does not parse; {@link #line()} is the 1-based line the problem was found on. */
public class CorefileParseException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final int line;

  public CorefileParseException(int line, String problem) {
    super("Corefile line " + line + ": " + problem);
    this.line = line;
  }

  public int line() {
    return line;
  }
}
