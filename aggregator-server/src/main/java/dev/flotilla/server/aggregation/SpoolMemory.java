package dev.flotilla.server.aggregation;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Heap that the scratch files of one round may hold instead of writing to disk ({@link Float32File}):
 * their full append buffers ({@value Float32File#PENDING_VALUES} values each) and the received chunks'
 * bytes they keep instead of copying. A fixed budget shared by every upload in progress, so it bounds
 * the round's memory whatever the number of parties or the model's size; what does not fit goes to
 * disk as before. Blocks given back are handed out again (an update that was folded frees its blocks
 * for the next one) instead of being allocated and zeroed anew.
 */
final class SpoolMemory {

  private static final long BLOCK_BYTES = (long) Float32File.PENDING_VALUES * Float.BYTES;

  private final long limitBytes;
  private long usedBytes;
  private final Deque<float[]> free = new ArrayDeque<>();

  SpoolMemory(long limitBytes) {
    this.limitBytes = limitBytes;
  }

  /** A block of {@value Float32File#PENDING_VALUES} values (contents undefined), or null when the budget is spent. */
  synchronized float[] take() {
    if (!reserve(BLOCK_BYTES)) {
      return null;
    }
    float[] block = free.poll();
    return block != null ? block : new float[Float32File.PENDING_VALUES];
  }

  /** Gives back a block of {@value Float32File#PENDING_VALUES} values for the next {@link #take()}. */
  synchronized void giveBack(float[] block) {
    release(BLOCK_BYTES);
    free.push(block);
  }

  /** Counts {@code bytes} kept elsewhere (a received chunk's) against the budget; false, counting nothing, when they do not fit. */
  synchronized boolean reserve(long bytes) {
    if (usedBytes + bytes > limitBytes) {
      return false;
    }
    usedBytes += bytes;
    return true;
  }

  /** Gives back bytes counted by {@link #reserve}. */
  synchronized void release(long bytes) {
    usedBytes -= bytes;
  }

  /** Bytes taken or reserved and not given back. */
  synchronized long used() {
    return usedBytes;
  }
}
