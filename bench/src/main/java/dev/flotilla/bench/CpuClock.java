package dev.flotilla.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time, so that figures stay comparable on a machine shared with other work: wall-clock
 * throughput drops with the load average, CPU cost per byte much less.
 */
final class CpuClock {

  private CpuClock() {}

  /** CPU time of this whole JVM (all threads, GC and JIT included), nanoseconds. */
  static long process() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * CPU time of the JIT compiler threads so far (Linux: /proc/self/task/N/schedstat of the threads
   * named "C1 CompilerThre..." or "C2 CompilerThre..."), nanoseconds; 0 where /proc is absent. The
   * benchmarks are short, and on a loaded 2-core machine the C2 compiler is still working through
   * its queue minutes into the run: a start-up cost that lands on whichever phase runs first.
   */
  static long jitCompilers() {
    return threads(name -> name.contains("CompilerThre"));
  }

  /**
   * CPU time so far of the live threads whose name (Linux: /proc/self/task/N/comm, the first 15
   * characters) {@code named} accepts, nanoseconds; 0 where /proc is absent. Threads that ended are
   * not counted: measure pools whose threads live through the measurement.
   */
  static long threads(java.util.function.Predicate<String> named) {
    long total = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          if (named.test(Files.readString(task.resolve("comm")).strip())) {
            total += Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended while we looked
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return total;
  }

  /** CPU time of the calling thread, nanoseconds. */
  static long thread() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }
}
