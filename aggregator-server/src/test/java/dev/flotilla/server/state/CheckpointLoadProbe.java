package dev.flotilla.server.state;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads the checkpoint of each state directory given and prints one line per directory:
 * {@code LOADED}, {@code REFUSED <message>} for an IOException, or {@code FAILED <throwable>} for
 * anything else (an OutOfMemoryError included). Run in a JVM with a small heap by
 * {@link CheckpointStoreTest}, so a reader that trusts a length field fails there, not in the build.
 */
final class CheckpointLoadProbe {

  public static void main(String[] args) {
    for (String dir : args) {
      try {
        new CheckpointStore(Path.of(dir)).load();
        System.out.println("LOADED");
      } catch (IOException e) {
        System.out.println("REFUSED " + e.getMessage());
      } catch (Throwable t) {
        System.out.println("FAILED " + t);
      }
    }
  }

  private CheckpointLoadProbe() {}
}
