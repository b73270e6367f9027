package dev.flotilla.party.data;

/** A data file is absent or unreadable; the message names the file and what to do about it. */
public final class DataMissingException extends BadDataException {
  public DataMissingException(String message) {
    super(message);
  }

  public DataMissingException(String message, Throwable cause) {
    super(message, cause);
  }
}
