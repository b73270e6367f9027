package dev.flotilla.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Warm-up that ends when the JIT has nothing left to do for the work, not after a fixed count: on
 * 2 loaded cores C2 compiles Vector API code for many seconds, and a window measured meanwhile
 * measures the compiler (BENCHMARKS.md, "Speed (issue 13)", session 10).
 */
final class JitIdle {

  /** A batch runs the work at least this long, so that a compilation in progress can finish within it. */
  static final long BATCH_NANOS = 250_000_000L;
  /** Batches in a row without a finished compilation that count as idle. */
  static final int QUIET_BATCHES = 2;
  /** At most this many batches (then the window is measured anyway, and reported as not idle). */
  static final int MAX_BATCHES = 240;

  /** How a warm-up ended: after how many batches, and whether the JIT was idle (else the bound ended it). */
  record Outcome(int batches, boolean idle) {}

  private JitIdle() {}

  /**
   * Runs {@code work} in batches of at least {@link #BATCH_NANOS} until the JVM's total compilation
   * time stays the same across {@link #QUIET_BATCHES} batches in a row, or {@link #MAX_BATCHES} ran.
   */
  static Outcome warmUp(Runnable work) {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
      throw new IllegalStateException("this JVM does not report its compilation time; the warm-up cannot tell when the JIT is done");
    }
    int quiet = 0;
    for (int batch = 1; batch <= MAX_BATCHES; batch++) {
      long compiledBefore = jit.getTotalCompilationTime();
      long until = System.nanoTime() + BATCH_NANOS;
      do {
        work.run();
      } while (System.nanoTime() < until);
      quiet = jit.getTotalCompilationTime() == compiledBefore ? quiet + 1 : 0;
      if (quiet == QUIET_BATCHES) {
        return new Outcome(batch, true);
      }
    }
    return new Outcome(MAX_BATCHES, false);
  }
}
