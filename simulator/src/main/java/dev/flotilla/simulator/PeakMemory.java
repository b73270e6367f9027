package dev.flotilla.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** This process's peak resident memory (Linux VmHWM: Java heap, DJL's native memory and the rest). */
final class PeakMemory {

  private PeakMemory() {}

  /** Peak RSS in bytes, or -1 where /proc/self/status is not there. */
  static long bytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  static String describe() {
    long bytes = bytes();
    return bytes < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }
}
