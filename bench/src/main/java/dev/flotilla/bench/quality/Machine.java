package dev.flotilla.bench.quality;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** One line about the machine and its load, for the record next to the figures. */
final class Machine {
  private Machine() {}

  static String describe() {
    String load;
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
      load = f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      load = "unknown";
    }
    return String.format(Locale.ROOT, "%d cores, %s %s, Java %s, load average %s",
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
        System.getProperty("java.version"), load);
  }
}
