package dev.flotilla.examples;

import java.nio.file.Path;

/** Where the PyTorch example lives, from this module's directory (the working directory of its tests). */
final class PyTorchExample {

  static final Path DIRECTORY = Path.of("pytorch").toAbsolutePath();
  static final Path TESTS = DIRECTORY.resolve("tests");

  private PyTorchExample() {}
}
