package dev.flotilla.party.train.scaffold;

import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainerException;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ControlVariates;
import dev.flotilla.protocol.model.SgdSteps;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.MetricNames;
import java.util.Arrays;
import java.util.List;

/**
 * The party's side of SCAFFOLD (Karimireddy et al. 2020, option II), around any trainer that can
 * correct its gradients. When the job's layout carries control variates ({@link ControlVariates}),
 * the global model arrives as x followed by the server's c: the inner trainer gets x and trains with
 * every gradient corrected by c - c_i; then, with K the steps it took at learning rate lr, c_i+ = c_i
 * - c + (x - y) / (a lr) is kept in the store, and the update is y followed by c + (c_i+ - c_i) =
 * (x - y) / (a lr), which the server folds into c. a is K for plain SGD (the paper's option II) and
 * {@link SgdSteps#normalised} with momentum: dividing by K lr there overstated the gradient ~10x at
 * momentum 0.9 and made the run diverge (SimulatedStrategiesIT: 0.45, 0.49, 0.12). Without control
 * variates it passes everything through.
 */
public final class ScaffoldTrainer implements LocalTrainer {

  private final LocalTrainer inner;
  private final ControlVariateStore store;
  private List<TensorSpec> modelLayout;
  private boolean scaffold;

  public ScaffoldTrainer(LocalTrainer inner, ControlVariateStore store) {
    this.inner = inner;
    this.store = store;
  }

  @Override
  public String description() {
    return inner.description();
  }

  @Override
  public int trainingSamples(RoundContext context) {
    return inner.trainingSamples(context);
  }

  @Override
  public void prepare(String model, List<TensorSpec> layout) {
    int modelTensors = ControlVariates.modelTensors(layout);
    scaffold = modelTensors < layout.size();
    if (scaffold && !inner.appliesCorrection()) {
      throw new IllegalArgumentException("the job runs SCAFFOLD, which corrects every local gradient; "
          + inner.description() + " cannot (train with the built-in models or --torchscript)");
    }
    modelLayout = List.copyOf(layout.subList(0, modelTensors));
    inner.prepare(model, modelLayout);
  }

  @Override
  public Evaluation evaluate(RoundContext round, float[][] global) {
    return inner.evaluate(round, Arrays.copyOf(global, modelLayout.size()));
  }

  @Override
  public LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options) {
    if (!scaffold) {
      return inner.train(round, global, options);
    }
    int n = modelLayout.size();
    float[][] x = Arrays.copyOf(global, n);
    float[][] c = Arrays.copyOfRange(global, n, 2 * n);
    float[][] ci = store.load(keyOf(round), modelLayout);
    float[][] correction = new float[n][];
    for (int t = 0; t < n; t++) {
      correction[t] = new float[x[t].length];
      for (int i = 0; i < correction[t].length; i++) {
        correction[t][i] = c[t][i] - ci[t][i];
      }
    }
    LocalUpdate trained = inner.train(round, x, options.withCorrection(correction));
    Double steps = trained.metrics().get(MetricNames.LOCAL_STEPS);
    if (steps == null || steps < 1) {
      throw new TrainerException(round.describe() + " the trainer did not report its local steps, which SCAFFOLD needs");
    }
    // the mean corrected gradient: x - y = lr a g for K steps at momentum rho (a = K without momentum)
    double perValue = 1.0 / (SgdSteps.normalised(steps.longValue(), options.momentum()) * options.learningRate());
    float[][] y = trained.weights();
    float[][] update = Arrays.copyOf(y, 2 * n);
    for (int t = 0; t < n; t++) {
      float[] added = new float[x[t].length]; // c + (c_i+ - c_i) = (x - y) / (K lr)
      for (int i = 0; i < added.length; i++) {
        added[i] = (float) (((double) x[t][i] - y[t][i]) * perValue);
        ci[t][i] = ci[t][i] - c[t][i] + added[i];
      }
      update[n + t] = added;
    }
    store.save(keyOf(round), modelLayout, ci);
    return new LocalUpdate(update, trained.samples(), trained.metrics());
  }

  /** One c_i per job and party: parties of one machine may share a --work-dir. */
  private static String keyOf(RoundContext round) {
    return round.job() + "." + round.party();
  }

  @Override
  public boolean appliesCorrection() {
    return inner.appliesCorrection();
  }

  @Override
  public void close() {
    inner.close();
  }
}
