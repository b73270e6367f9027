package dev.flotilla.party.train;

import dev.flotilla.party.PartyDataset;
import dev.flotilla.protocol.model.TensorSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The default trainer: the job's built-in model ({@code JoinResponse.model}) as a DJL block. */
public final class DjlTrainer implements LocalTrainer {
  private static final int EVALUATION_BATCH = 1000;

  private final PartyDataset data;
  private final long seed;
  private LocalModel model;

  public DjlTrainer(PartyDataset data, long seed) {
    this.data = data;
    this.seed = seed;
  }

  @Override
  public String description() {
    return "the built-in DJL model on " + data.description();
  }

  @Override
  public int trainingSamples(RoundContext context) {
    return data.train().size();
  }

  @Override
  public void prepare(String name, List<TensorSpec> layout) {
    if (model != null) {
      return;
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("the job's model came from a file without a built-in name; train it with "
          + "--torchscript FILE.pt or --trainer-command CMD");
    }
    LocalModel created = LocalModel.create(Architecture.forName(name), layout, seed);
    try {
      created.requireFits(data.train());
      created.requireFits(data.test());
    } catch (IllegalArgumentException e) {
      created.close();
      throw e;
    }
    model = created;
  }

  @Override
  public Evaluation evaluate(RoundContext round, float[][] global) {
    model.setWeights(global);
    return model.evaluate(data.test(), EVALUATION_BATCH);
  }

  @Override
  public LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options) {
    Evaluation before = evaluate(round, global);
    TrainResult result = model.train(data.train(), options);
    Map<String, Double> metrics = new HashMap<>(before.metrics());
    metrics.put(LocalUpdate.TRAIN_LOSS, result.trainLoss());
    return new LocalUpdate(result.weights(), result.samples(), metrics);
  }

  @Override
  public void close() {
    if (model != null) {
      model.close();
      model = null;
    }
  }
}
