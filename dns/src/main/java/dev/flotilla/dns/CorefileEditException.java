package dev.flotilla.dns;

/**
 * A Corefile that parses but cannot be edited safely: no server block for the wanted key, broken
 * region markers, or a managed region whose content Flotilla did not write. Nothing is changed.
 */
public class CorefileEditException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public CorefileEditException(String message) {
    super(message);
  }
}
