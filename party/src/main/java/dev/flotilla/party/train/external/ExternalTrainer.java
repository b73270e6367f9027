package dev.flotilla.party.train.external;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.LocalUpdate;
import dev.flotilla.party.train.RoundContext;
import dev.flotilla.party.train.TrainerException;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.status.MetricNames;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --trainer-command}: every action runs the user's command on files in a fresh round
 * directory (the contract is in the party README): the party writes {@code round.json} and
 * {@code global.safetensors}, the command writes {@code result.json} and, to train,
 * {@code update.safetensors}. Nothing the command wrote is sent before it is checked: the result's
 * fields, and the update's names, shapes, dtypes and finiteness against the job's layout.
 */
public final class ExternalTrainer implements LocalTrainer {
  private static final Logger log = LoggerFactory.getLogger(ExternalTrainer.class);
  static final String ROUND_JSON = "round.json";
  static final String GLOBAL_MODEL = "global.safetensors";
  static final String UPDATE_MODEL = "update.safetensors";
  static final String RESULT_JSON = "result.json";

  private final ExternalTrainerSettings settings;
  private final RoundDirectories directories;
  private String model = "";
  private List<TensorSpec> layout;

  /** @throws IOException when no work directory can be made */
  public ExternalTrainer(ExternalTrainerSettings settings) throws IOException {
    this.settings = settings;
    Path root = settings.workDir() != null ? settings.workDir() : Files.createTempDirectory("flotilla-trainer-");
    Files.createDirectories(root);
    this.directories = new RoundDirectories(root);
  }

  @Override
  public String description() {
    return "the command '" + settings.command() + "' (work directory " + directories.root() + ", timeout "
        + settings.timeout() + ") on --data " + settings.data();
  }

  @Override
  public int trainingSamples(RoundContext context) {
    return run(context, TrainerResult.Action.DESCRIBE, null, settings.defaults()).result().numSamples();
  }

  @Override
  public void prepare(String jobModel, List<TensorSpec> jobLayout) {
    this.model = jobModel;
    this.layout = List.copyOf(jobLayout);
  }

  @Override
  public Evaluation evaluate(RoundContext round, float[][] global) {
    TrainerResult result = run(round, TrainerResult.Action.EVALUATE, global, settings.defaults()).result();
    return new Evaluation(result.metrics(), result.numSamples());
  }

  /**
   * Runs the train action. The party measures the whole run (writing the global model, the command,
   * reading the update); the command evaluates and trains in one process, so the evaluation's share
   * is what it reports as {@code eval_seconds} (at most the run; 0 when it does not say), and the
   * rest is training.
   */
  @Override
  public LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options) {
    long started = System.nanoTime();
    Run run = run(round, TrainerResult.Action.TRAIN, global, options);
    Path update = run.directory().resolve(UPDATE_MODEL);
    float[][] weights;
    try {
      weights = readUpdate(update, layout);
    } catch (IOException e) {
      throw new TrainerException(round.describe() + " " + e.getMessage(), e);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    Map<String, Double> metrics = new HashMap<>(run.result().metrics());
    double evaluation = Math.min(metrics.getOrDefault(MetricNames.EVAL_SECONDS, 0.0), seconds);
    metrics.put(MetricNames.EVAL_SECONDS, evaluation);
    metrics.put(MetricNames.TRAIN_SECONDS, seconds - evaluation);
    return new LocalUpdate(weights, run.result().numSamples(), metrics);
  }

  /** A finished action: its directory and checked result. */
  private record Run(Path directory, TrainerResult result) {}

  private Run run(RoundContext round, TrainerResult.Action action, float[][] global, TrainingOptions options) {
    Path dir;
    try {
      dir = directories.next(action.jsonName(), round.round(), round.attempt());
      if (global != null) {
        writeGlobal(round, dir.resolve(GLOBAL_MODEL), global);
      }
      Files.writeString(dir.resolve(ROUND_JSON), roundJson(round, action, dir, options), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TrainerException(round.describe() + " cannot prepare the " + action.jsonName() + " run in "
          + directories.root() + ": " + e.getMessage(), e);
    }
    long started = System.nanoTime();
    TrainerProcess.Outcome outcome;
    try {
      outcome = TrainerProcess.run(settings.command(), dir.resolve(ROUND_JSON), dir, settings.timeout(),
          settings.secretFiles());
    } catch (IOException e) {
      throw new TrainerException(round.describe() + " cannot start the trainer command '" + settings.command()
          + "': " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainerException(round.describe() + " the party was stopped while the trainer command ran; "
          + "its processes were killed", e);
    }
    if (outcome instanceof TrainerProcess.Outcome.TimedOut timedOut) {
      throw new TrainerException(round.describe() + " the trainer command's " + action.jsonName()
          + " run timed out after " + timedOut.after() + " (--trainer-timeout); killed " + timedOut.killed()
          + " process(es); logs in " + dir);
    }
    TrainerProcess.Outcome.Exited exited = (TrainerProcess.Outcome.Exited) outcome;
    if (exited.code() != 0) {
      throw new TrainerException(round.describe() + " the trainer command's " + action.jsonName()
          + " run exited with " + exited.code() + "; last lines of " + dir.resolve(TrainerProcess.STDERR) + ":\n"
          + exited.stderrTail());
    }
    TrainerResult result;
    try {
      result = TrainerResult.read(dir.resolve(RESULT_JSON), action);
    } catch (IOException e) {
      throw new TrainerException(round.describe() + " " + e.getMessage(), e);
    }
    log.info("{} trainer command {}: {} samples{} in {} s", round.describe(), action.jsonName(), result.numSamples(),
        result.metrics().isEmpty() ? "" : ", " + new Evaluation(result.metrics(), result.numSamples()).describe(),
        String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9));
    return new Run(dir, result);
  }

  /** The server's values are not trusted to fit the file: a NaN or an out-of-range counter fails the round. */
  private void writeGlobal(RoundContext round, Path file, float[][] global) throws IOException {
    try {
      Safetensors.write(file, layout, global, model.isEmpty() ? Map.of() : Map.of(Safetensors.MODEL_KEY, model));
    } catch (IllegalArgumentException e) {
      throw new TrainerException(round.describe() + " the global model from the server cannot be written to " + file
          + ": " + e.getMessage(), e);
    }
  }

  private String roundJson(RoundContext round, TrainerResult.Action action, Path dir, TrainingOptions options) {
    JsonObject json = new JsonObject();
    json.addProperty("format", 1);
    json.addProperty("action", action.jsonName());
    json.addProperty("job", round.job());
    json.addProperty("party", round.party());
    json.addProperty("round", round.round());
    json.addProperty("attempt", round.attempt());
    json.addProperty("model_version", round.modelVersion());
    json.addProperty("model", model);
    if (action != TrainerResult.Action.DESCRIBE) {
      json.addProperty("global_model", dir.resolve(GLOBAL_MODEL).toString());
    }
    if (action == TrainerResult.Action.TRAIN) {
      json.addProperty("output_model", dir.resolve(UPDATE_MODEL).toString());
    }
    json.addProperty("output_result", dir.resolve(RESULT_JSON).toString());
    json.addProperty("epochs", options.epochs());
    json.addProperty("batch_size", options.batchSize());
    json.addProperty("lr", options.learningRate());
    json.addProperty("momentum", options.momentum());
    json.addProperty("weight_decay", options.weightDecay());
    json.addProperty("proximal_mu", options.proximalMu());
    json.addProperty("seed", options.shuffleSeed());
    json.addProperty("data", settings.data().toAbsolutePath().toString());
    json.add("test_data", settings.testData() == null ? JsonNull.INSTANCE
        : new com.google.gson.JsonPrimitive(settings.testData().toAbsolutePath().toString()));
    JsonObject partition = new JsonObject();
    partition.addProperty("scheme", settings.partitionScheme());
    partition.addProperty("index", settings.partitionIndex());
    partition.addProperty("count", settings.partitionCount());
    partition.addProperty("seed", settings.partitionSeed());
    json.add("partition", partition);
    json.add("max_samples", settings.maxSamples() == null ? JsonNull.INSTANCE
        : new com.google.gson.JsonPrimitive(settings.maxSamples()));
    json.add("eval_samples", settings.evalSamples() == null ? JsonNull.INSTANCE
        : new com.google.gson.JsonPrimitive(settings.evalSamples()));
    return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json) + "\n";
  }

  /**
   * The update file's values in the job's layout order, after checking, before any value is read,
   * that it holds exactly the job's tensors (names, shapes, dtypes; any order), then that every
   * value is finite.
   *
   * @throws IOException naming the file and the tensor that is wrong
   */
  static float[][] readUpdate(Path file, List<TensorSpec> layout) throws IOException {
    TrainerResult.requirePlainFile(file);
    SafetensorsHeader header = Safetensors.readLayout(file);
    Map<String, Integer> position = new HashMap<>();
    for (int t = 0; t < layout.size(); t++) {
      position.put(layout.get(t).name(), t);
    }
    for (TensorSpec found : header.layout()) {
      Integer t = position.get(found.name());
      if (t == null) {
        throw new TrainerResult.InvalidOutputException(file + ": tensor '" + found.name()
            + "' is not in the job's model (" + layout.size() + " tensors)");
      }
      TensorSpec expected = layout.get(t);
      if (!expected.equals(found)) {
        throw new TrainerResult.InvalidOutputException(file + ": tensor '" + found.name() + "' is "
            + found.shapeString() + " " + found.dtype().safetensorsName() + ", the job's model has "
            + expected.shapeString() + " " + expected.dtype().safetensorsName());
      }
    }
    if (header.layout().size() != layout.size()) {
      List<String> missing = layout.stream().map(TensorSpec::name)
          .filter(name -> header.layout().stream().noneMatch(found -> found.name().equals(name))).toList();
      throw new TrainerResult.InvalidOutputException(file + ": " + missing.size() + " tensor(s) of the job's model "
          + "missing: " + (missing.size() > 5 ? missing.subList(0, 5) + "..." : missing));
    }
    ModelFile model = Safetensors.read(file);
    float[][] values = new float[layout.size()][];
    for (int i = 0; i < model.layout().size(); i++) {
      values[position.get(model.layout().get(i).name())] = model.values()[i];
    }
    return values;
  }

  @Override
  public void close() {
    // the round directories stay for debugging; a running command belongs to the thread that waits for it
  }
}
