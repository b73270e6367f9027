package dev.flotilla.bench;

import java.lang.management.ManagementFactory;

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

  /** CPU time of the calling thread, nanoseconds. */
  static long thread() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }
}
