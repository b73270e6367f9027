package dev.flotilla.server.aggregation;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Heap that the scratch files of one round may hold instead of writing to disk ({@link Float32File}),
 * in blocks of {@value Float32File#PENDING_VALUES} values: a fixed budget shared by every upload in
 * progress, so it bounds the round's memory whatever the number of parties or the model's size; what
 * does not fit goes to disk as before. Blocks given back are handed out again (an update that was
 * folded frees its blocks for the next one) instead of being allocated and zeroed anew.
 */
final class SpoolMemory {

  private final long limitBlocks;
  private long outstanding;
  private final Deque<float[]> free = new ArrayDeque<>();

  SpoolMemory(long limitBytes) {
    this.limitBlocks = limitBytes / ((long) Float32File.PENDING_VALUES * Float.BYTES);
  }

  /** A block of {@value Float32File#PENDING_VALUES} values (contents undefined), or null when the budget is spent. */
  synchronized float[] take() {
    if (outstanding >= limitBlocks) {
      return null;
    }
    outstanding++;
    float[] block = free.poll();
    return block != null ? block : new float[Float32File.PENDING_VALUES];
  }

  /** Gives back a block of {@value Float32File#PENDING_VALUES} values for the next {@link #take()}. */
  synchronized void giveBack(float[] block) {
    outstanding--;
    free.push(block);
  }

  /** Bytes of the blocks taken and not given back. */
  synchronized long used() {
    return outstanding * Float32File.PENDING_VALUES * Float.BYTES;
  }
}
