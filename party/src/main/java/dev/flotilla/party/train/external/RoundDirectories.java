package dev.flotilla.party.train.external;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.stream.Stream;

/**
 * The trainer's work directory: a fresh {@code <action>-<round>-<attempt>/} for every run, of
 * which only the last few are kept, for debugging.
 */
final class RoundDirectories {
  static final int KEPT = 3;

  private final Path root;
  private final Deque<Path> recent = new ArrayDeque<>();

  RoundDirectories(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  Path root() {
    return root;
  }

  /** An empty directory for one run; an older one of the same name is replaced. */
  Path next(String action, int round, int attempt) throws IOException {
    Path dir = root.resolve(action + "-" + round + "-" + attempt);
    deleteTree(dir);
    Files.createDirectories(dir);
    recent.remove(dir);
    recent.addLast(dir);
    while (recent.size() > KEPT) {
      deleteTree(recent.removeFirst());
    }
    return dir;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
