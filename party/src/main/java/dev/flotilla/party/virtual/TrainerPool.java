package dev.flotilla.party.virtual;

import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;

/**
 * The bounded pool of trainers the virtual parties share: one DJL model per slot (sized to the
 * cores), lent to a party for one round's training or evaluation. A virtual party keeps no model of
 * its own between rounds (each round starts from the global weights and a zero momentum buffer), so
 * memory grows with the slots, not with the parties.
 */
public final class TrainerPool implements AutoCloseable {

  private final int slots;
  private final BlockingQueue<LocalModel> idle;
  private List<LocalModel> all;

  public TrainerPool(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("the trainer pool needs at least one slot, got " + slots);
    }
    this.slots = slots;
    this.idle = new ArrayBlockingQueue<>(slots);
  }

  public int slots() {
    return slots;
  }

  /** Creates the slots' models for the job's layout, once (every virtual party calls it when it joins). */
  public synchronized void prepare(String model, List<TensorSpec> layout, long seed) {
    if (all != null) {
      return;
    }
    Architecture architecture = Architecture.forName(model);
    all = new java.util.ArrayList<>();
    for (int i = 0; i < slots; i++) {
      LocalModel created = LocalModel.create(architecture, layout, seed);
      all.add(created);
      idle.add(created);
    }
  }

  /** Runs {@code work} on a model of the pool, waiting for a free slot. */
  public <T> T withModel(Function<LocalModel, T> work) {
    LocalModel model;
    try {
      model = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new dev.flotilla.party.train.TrainerException("interrupted while waiting for a trainer", e);
    }
    try {
      return work.apply(model);
    } finally {
      idle.add(model);
    }
  }

  @Override
  public synchronized void close() {
    if (all != null) {
      all.forEach(LocalModel::close);
      all = null;
    }
  }
}
