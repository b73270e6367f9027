package dev.flotilla.protocol.tensor;

/** A tensor stream that does not match its layout; the message says what was wrong. */
public final class TensorStreamException extends Exception {
  public TensorStreamException(String message) {
    super(message);
  }
}
