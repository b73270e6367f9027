package dev.flotilla.simulator;

import dev.flotilla.party.train.scaffold.ControlVariateStore;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The virtual parties' SCAFFOLD control variates c_i, one per party that has trained (a model's worth of
 * floats each: legitimately per party). Kept on the heap up to a byte budget; the parties that come after
 * it is spent keep theirs in {@code directory} (the deployed party's --work-dir store), so a run with many
 * parties is bounded by the budget, not by the parties.
 */
final class SpillingControlVariates implements ControlVariateStore {

  private final long budgetBytes;
  private final ControlVariateStore onDisk;
  private final Map<String, float[][]> inMemory = new HashMap<>();
  private final Set<String> spilled = new HashSet<>();
  private long bytesInMemory;

  SpillingControlVariates(long budgetBytes, Path directory) {
    this.budgetBytes = budgetBytes;
    this.onDisk = ControlVariateStore.inDirectory(directory);
  }

  @Override
  public float[][] load(String key, List<TensorSpec> layout) {
    synchronized (this) {
      float[][] kept = inMemory.get(key);
      if (kept != null) {
        return copy(kept);
      }
    }
    return onDisk.load(key, layout); // zeros when there is none yet
  }

  @Override
  public void save(String key, List<TensorSpec> layout, float[][] values) {
    long bytes = bytesOf(values);
    synchronized (this) {
      if (inMemory.containsKey(key) || !spilled.contains(key) && bytesInMemory + bytes <= budgetBytes) {
        float[][] before = inMemory.put(key, copy(values));
        bytesInMemory += bytes - (before == null ? 0 : bytesOf(before));
        return;
      }
      spilled.add(key);
    }
    onDisk.save(key, layout, values); // one party's file, written by that party's thread only
  }

  /** Bytes of control variates on the heap now. */
  synchronized long bytesInMemory() {
    return bytesInMemory;
  }

  /** Parties whose control variate is on the heap. */
  synchronized int partiesInMemory() {
    return inMemory.size();
  }

  /** Parties whose control variate is kept on disk. */
  synchronized int partiesOnDisk() {
    return spilled.size();
  }

  private static long bytesOf(float[][] values) {
    long bytes = 0;
    for (float[] tensor : values) {
      bytes += 4L * tensor.length;
    }
    return bytes;
  }

  private static float[][] copy(float[][] values) {
    float[][] copy = new float[values.length][];
    for (int t = 0; t < values.length; t++) {
      copy[t] = values[t].clone();
    }
    return copy;
  }
}
