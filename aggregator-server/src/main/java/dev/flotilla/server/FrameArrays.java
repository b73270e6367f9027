package dev.flotilla.server;

import dev.flotilla.protocol.bulk.BulkWire;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Arrays for the bulk-upload port's data frames, reused from one upload to the next. A fresh array
 * per frame was zeroed (and its new heap pages faulted in) before the decrypted bytes overwrote it:
 * 12 % of the process at 100 parties (BENCHMARKS.md, "Speed (issue 13)", session 9).
 *
 * <p>An array is lent to one upload and comes back only once that upload committed: a sink may keep
 * views of its chunks until its update ends ({@code UpdateSink}), so nothing is copied (a pool that
 * took arrays back after each chunk made the spool copy what it kept, and gained nothing; session 9).
 * The arrays of an upload that failed are never handed out again (a step may still read them): they
 * are forgotten and left to the garbage collector, as before. At most {@code capacity} arrays of
 * {@value BulkWire#MAX_FRAME_BYTES} bytes belong to the pool, lent or free, so its memory is bounded
 * whatever the number of parties; frames beyond it get arrays of their own, as before.
 */
final class FrameArrays {

  /** Frames smaller than this get an exact array of their own: cheap to allocate, and a pooled array would waste most of itself. */
  static final int SMALLEST_POOLED_FRAME = 64 * 1024;
  /** The pool's arrays are at most this share of the heap (1/16), and at most 64 (64 MiB). */
  private static final int MOST_ARRAYS = 64;

  private final int capacity;
  private final Deque<byte[]> free = new ArrayDeque<>();
  /** Arrays of the pool, lent or free. */
  private int owned;

  FrameArrays(int capacity) {
    this.capacity = capacity;
  }

  /** The capacity for this JVM: 64 arrays, fewer in a heap under 1 GiB (1/16 of it). */
  static int defaultCapacity() {
    return (int) Math.min(MOST_ARRAYS, Runtime.getRuntime().maxMemory() / 16 / BulkWire.MAX_FRAME_BYTES);
  }

  /**
   * An array of {@value BulkWire#MAX_FRAME_BYTES} bytes (contents undefined: earlier frames' bytes)
   * lent by the pool, or null when all its arrays are lent.
   */
  synchronized byte[] take() {
    byte[] array = free.poll();
    if (array == null && owned < capacity) {
      owned++;
      array = new byte[BulkWire.MAX_FRAME_BYTES];
    }
    return array;
  }

  /** An array of {@link #take()} whose upload committed: nobody reads its bytes any more. */
  synchronized void giveBack(byte[] array) {
    free.push(array);
  }

  /** Arrays of {@link #take()} that may still be read: they leave the pool, which may allocate as many anew. */
  synchronized void forget(int arrays) {
    owned -= arrays;
  }

  /** Free arrays held (tests). */
  synchronized int free() {
    return free.size();
  }

  /** Arrays of the pool, lent or free (tests). */
  synchronized int owned() {
    return owned;
  }
}
