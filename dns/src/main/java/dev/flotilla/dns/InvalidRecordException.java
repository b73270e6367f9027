package dev.flotilla.dns;

/** A host name, IP address or record specification that cannot become a DNS record; the message names the value. */
public class InvalidRecordException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidRecordException(String message) {
    super(message);
  }
}
