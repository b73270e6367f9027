package dev.flotilla.protocol.status;

import java.io.IOException;

/** A status document (or file) that is not a job status; the message says what is wrong with it. */
public final class InvalidStatusException extends IOException {

  public InvalidStatusException(String message) {
    super(message);
  }

  public InvalidStatusException(String message, Throwable cause) {
    super(message, cause);
  }
}
