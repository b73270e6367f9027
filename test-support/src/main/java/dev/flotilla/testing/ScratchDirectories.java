package dev.flotilla.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/**
 * A temporary directory that lives as long as the JVM, for what JUnit's {@code @TempDir} cannot reach:
 * a static field of a Jazzer {@code @FuzzTest} harness, which runs many inputs in one test.
 */
public final class ScratchDirectories {
  private ScratchDirectories() {}

  /** A new directory named after {@code prefix}, deleted with all it holds when the JVM exits. */
  public static Path deletedAtExit(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (var files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
          // a temporary directory left behind is harmless
        }
      }));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
