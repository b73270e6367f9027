package dev.flotilla.server;

import dev.flotilla.protocol.bulk.BulkWire;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Arrays for the bulk-upload port's data frames, handed out again once a frame was folded. A new
 * array per frame was zeroed (and its fresh heap pages faulted in) before the decrypted bytes
 * overwrote it: about a tenth of the upload's CPU at 100 parties (BENCHMARKS.md, session 9). The
 * frame's bytes are lent to the upload for the call only ({@code Upload.acceptLent}): the spool
 * copies what it keeps. At most {@code capacity} free arrays of {@value BulkWire#MAX_FRAME_BYTES}
 * bytes are kept, so the pool's own memory is bounded whatever the number of parties; frames beyond
 * it are allocated and collected as before.
 */
final class FramePool {

  /** Free arrays kept: 64 MiB, small next to the server's other memory. */
  static final int DEFAULT_CAPACITY = 64;

  private final int capacity;
  private final Deque<byte[]> free = new ArrayDeque<>();

  FramePool(int capacity) {
    this.capacity = capacity;
  }

  /** An array of {@value BulkWire#MAX_FRAME_BYTES} bytes (contents undefined) for a frame of at most that many. */
  synchronized byte[] take() {
    byte[] array = free.poll();
    return array != null ? array : new byte[BulkWire.MAX_FRAME_BYTES];
  }

  /** Gives back an array of {@link #take()} whose bytes nobody reads any more. */
  synchronized void giveBack(byte[] array) {
    if (array.length == BulkWire.MAX_FRAME_BYTES && free.size() < capacity) {
      free.push(array);
    }
  }

  /** Free arrays held (tests). */
  synchronized int free() {
    return free.size();
  }
}
