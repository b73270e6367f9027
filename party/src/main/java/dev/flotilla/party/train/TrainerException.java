package dev.flotilla.party.train;

/**
 * A round failed for this party (the external command exited non-zero, timed out or wrote a wrong
 * tensor, ...): the message names the round, the file or tensor, and what was wrong. The party
 * skips the round and waits for the next one.
 */
public final class TrainerException extends RuntimeException {
  public TrainerException(String message) {
    super(message);
  }

  public TrainerException(String message, Throwable cause) {
    super(message, cause);
  }
}
