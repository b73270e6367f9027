package dev.flotilla.party.data;

/**
 * A data file is missing, unreadable, too large or malformed. The message names the file, the
 * line, image or array where that is known, and what was wrong; the party exits 3 with it.
 */
public class BadDataException extends RuntimeException {
  public BadDataException(String message) {
    super(message);
  }

  public BadDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
