package dev.flotilla.protocol.model;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that Flotilla refuses; the message names the file and what was wrong. */
public final class SafetensorsException extends IOException {

  private final transient Path file;

  public SafetensorsException(Path file, String problem) {
    super("model file " + file + ": " + problem);
    this.file = file;
  }

  public Path file() {
    return file;
  }
}
