package dev.flotilla.controller.operator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key material passes through a private temporary directory (mode 0700), the file form
 * cert-manager reads and writes, and is deleted straight after.
 */
final class KeyFiles {

  private static final Logger LOG = LoggerFactory.getLogger(KeyFiles.class);

  private KeyFiles() {}

  static Path privateTempDir() {
    try {
      return Files.createTempDirectory("flotilla-pki-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a private temporary directory for key material", e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete temporary key directory {}: {}", dir, e.toString());
    }
  }
}
