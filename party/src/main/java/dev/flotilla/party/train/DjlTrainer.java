package dev.flotilla.party.train;

import dev.flotilla.party.PartyDataset;
import dev.flotilla.protocol.model.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training in this JVM with DJL's PyTorch engine: by default the job's built-in model
 * ({@code JoinResponse.model}) as a DJL block, or with {@code --torchscript FILE.pt} a TorchScript
 * module whose parameters are the job's tensors of the same names.
 */
public final class DjlTrainer implements LocalTrainer {
  private static final Logger log = LoggerFactory.getLogger(DjlTrainer.class);
  private static final int EVALUATION_BATCH = 1000;

  private final PartyDataset data;
  private final long seed;
  private final Path torchScript;
  private LocalModel model;

  /** @param torchScript a TorchScript module to train instead of the job's built-in, or null */
  public DjlTrainer(PartyDataset data, long seed, Path torchScript) {
    this.data = data;
    this.seed = seed;
    this.torchScript = torchScript;
  }

  @Override
  public String description() {
    return (torchScript == null ? "the job's built-in model in DJL" : "the TorchScript module " + torchScript
        + " in DJL") + " on " + data.description();
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
    LocalModel created;
    if (torchScript != null) {
      created = LocalModel.loadTorchScript(torchScript, data.train().sampleShape(), layout);
      if (!created.keptTensors().isEmpty()) {
        log.warn("{} has no parameters for {} of the job's tensors ({}): DJL cannot reach a TorchScript module's "
            + "buffers, so these go back to the server as they came and the module uses its own", torchScript,
            created.keptTensors().size(), created.keptTensors().stream().map(TensorSpec::name).limit(6).toList());
      }
    } else if (name.isEmpty()) {
      throw new IllegalArgumentException("the job's model came from a file without a built-in name; train it with "
          + "--torchscript FILE.pt or --trainer-command CMD");
    } else {
      created = LocalModel.create(Architecture.forName(name), layout, seed);
    }
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
    long started = System.nanoTime();
    Evaluation before = evaluate(round, global);
    long evaluated = System.nanoTime();
    TrainResult result = model.train(data.train(), options);
    long trained = System.nanoTime();
    Divergence.requireFinite(round, model.layout(), result.weights());
    return result.toUpdate(options, before, (evaluated - started) / 1e9, (trained - evaluated) / 1e9);
  }

  @Override
  public boolean appliesCorrection() {
    return true;
  }

  @Override
  public void close() {
    if (model != null) {
      model.close();
      model = null;
    }
  }
}
