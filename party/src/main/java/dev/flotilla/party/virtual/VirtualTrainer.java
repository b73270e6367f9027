package dev.flotilla.party.virtual;

import dev.flotilla.party.data.Samples;
import dev.flotilla.party.train.Divergence;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainResult;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/**
 * A virtual party's trainer: its own slice of the shared training set, trained on a model borrowed
 * from the {@link TrainerPool}. In the simulator it does not evaluate the global model before every
 * round (the simulation evaluates once per round, centrally); hosted in a party process
 * ({@link VirtualPartyHost}, no central evaluation) it does, on its shard of the test set, as a deployed
 * party does, so the aggregator's per-round accuracy is the mean over the disjoint shards. At the end it
 * evaluates the final model on its shard (federated evaluation, the shards disjoint).
 */
public final class VirtualTrainer implements LocalTrainer {

  private static final int EVALUATION_BATCH = 1000;

  private final String name;
  private final Samples train;
  private final Samples testShard;
  private final TrainerPool pool;
  private final long seed;
  private final ModelFetchGate fetches;
  private final boolean evaluateEachRound;
  private List<TensorSpec> layout;

  /**
   * @param fetches the gate the party's channel acquires a permit from when it fetches a model; released here when
   *     the pooled trainer is done with that model
   * @param evaluateEachRound every round's update carries the global model's metrics on the test shard (a virtual
   *     party hosted in a party process); the simulator evaluates centrally instead
   */
  public VirtualTrainer(String name, Samples train, Samples testShard, TrainerPool pool, long seed,
      ModelFetchGate fetches, boolean evaluateEachRound) {
    this.fetches = fetches;
    this.evaluateEachRound = evaluateEachRound;
    this.name = name;
    this.train = train;
    this.testShard = testShard;
    this.pool = pool;
    this.seed = seed;
  }

  @Override
  public String description() {
    return "virtual party " + name + ": " + train.size() + " training samples, " + testShard.size()
        + " test samples, one of " + pool.slots() + " pooled DJL trainers";
  }

  @Override
  public int trainingSamples(RoundContext context) {
    return train.size();
  }

  @Override
  public void prepare(String model, List<TensorSpec> layout) {
    if (model.isEmpty()) {
      throw new IllegalArgumentException("the simulator trains built-in models only");
    }
    pool.prepare(model, layout, seed);
    this.layout = layout;
  }

  @Override
  public Evaluation evaluate(RoundContext round, float[][] global) {
    try {
      return evaluateOn(global);
    } finally {
      fetches.release(); // the model this party fetched is no longer needed
    }
  }

  private Evaluation evaluateOn(float[][] global) {
    return pool.withModel(model -> {
      model.setWeights(global);
      return model.evaluate(testShard, EVALUATION_BATCH);
    });
  }

  @Override
  public LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options) {
    long started = System.nanoTime();
    Evaluation before;
    long evaluated;
    TrainResult result;
    try {
      before = evaluateEachRound && testShard.size() > 0 ? evaluateOn(global) : null;
      evaluated = System.nanoTime();
      result = pool.withModel(model -> {
        model.setWeights(global);
        return model.train(train, options);
      });
    } finally {
      fetches.release(); // a model too large to ride in the TrainRequest was fetched
    }
    // as a deployed party: a diverged update is never sent, the party skips the round and the round goes on
    Divergence.requireFinite(round, layout, result.weights());
    return result.toUpdate(options, before, (evaluated - started) / 1e9, (System.nanoTime() - evaluated) / 1e9);
  }

  @Override
  public boolean appliesCorrection() {
    return true;
  }

  @Override
  public void close() {
    // the pool's models outlive the party: the simulation closes them
  }
}
