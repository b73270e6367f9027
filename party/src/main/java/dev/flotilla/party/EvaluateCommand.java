package dev.flotilla.party;

import com.google.gson.GsonBuilder;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import com.google.gson.JsonObject;
import dev.flotilla.party.data.BadDataException;
import dev.flotilla.party.data.DataFormat;
import dev.flotilla.party.data.DataMissingException;
import dev.flotilla.party.data.DataOptions;
import dev.flotilla.party.data.DataSets;
import dev.flotilla.party.data.Samples;
import dev.flotilla.party.data.Standardisation;
import dev.flotilla.party.data.Subsets;
import dev.flotilla.party.data.TabularSamples;
import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.Evaluation;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.protocol.model.ModelFile;
import dev.flotilla.protocol.model.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bin/flotilla evaluate}: the quality of an exported model on a data set, in this JVM with DJL. */
@Command(
    name = "flotilla evaluate",
    sortOptions = false,
    description = {
      "Evaluates a model file (safetensors, e.g. what the server exported) on a data set: loss and accuracy for "
          + "classification, loss (mean squared error) and r2 for regression. The architecture is the built-in "
          + "named by --model or by the file's flotilla.model metadata, or a TorchScript module (--torchscript) "
          + "whose parameters take the file's tensors of the same names.",
      "The samples are --test-data when given, else the data's own test split (idx t10k files, arrays with "
          + "x_test/y_test), else all of --data. CSV columns are standardised with the statistics of --data's rows.",
      ""
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  bin/flotilla evaluate --model-file state/final.safetensors --data /usr/share/datasets/fashion-mnist --json"
    })
public final class EvaluateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--model-file", required = true)
  Path modelFile;

  @Option(names = "--model")
  String model;

  @Option(names = "--torchscript")
  Path torchScript;

  @Mixin DataFlags dataFlags;

  @Option(names = "--eval-samples")
  Integer evalSamples;

  @Option(names = "--seed")
  long seed;

  @Option(names = "--batch-size")
  int batchSize;

  @Option(names = "--json")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (torchScript != null && model != null) {
      throw new ParameterException(spec.commandLine(), "--model and --torchscript exclude each other");
    }
    if (evalSamples != null && evalSamples < 1) {
      throw new ParameterException(spec.commandLine(), "--eval-samples must be at least 1, got " + evalSamples);
    }
    Cli.requireFile("--model-file", modelFile);
    ModelFile file = Safetensors.read(modelFile);
    String builtIn = model != null ? model.trim().toLowerCase(Locale.ROOT) : file.model().orElse(null);
    if (torchScript == null && builtIn == null) {
      throw new IllegalArgumentException(modelFile + " names no built-in model (no flotilla.model metadata); give "
          + "--model NAME or --torchscript FILE.pt");
    }
    Samples samples = samples(torchScript == null ? builtIn : null);
    try (LocalModel local = torchScript != null
        ? LocalModel.loadTorchScript(torchScript, samples.sampleShape(), file.layout())
        : LocalModel.create(Architecture.forName(builtIn), file.layout(), seed)) {
      local.setWeights(file.values());
      Evaluation evaluation = local.evaluate(samples, batchSize);
      String architecture = torchScript != null ? torchScript.toString() : builtIn;
      if (json) {
        JsonObject out = new JsonObject();
        out.addProperty("model_file", modelFile.toAbsolutePath().toString());
        out.addProperty("model", architecture);
        out.addProperty("samples", evaluation.samples());
        JsonObject metrics = new JsonObject();
        new TreeMap<>(evaluation.metrics()).forEach(metrics::addProperty);
        out.add("metrics", metrics);
        spec.commandLine().getOut().println(new GsonBuilder().create().toJson(out));
      } else {
        spec.commandLine().getOut().println(modelFile + " (" + architecture + "): " + evaluation.describe() + " on "
            + evaluation.samples() + " samples of " + (dataFlags.testData() != null ? dataFlags.testData() : dataFlags.data()));
      }
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  /** The samples to evaluate: --test-data, else --data's test split, else all of --data. */
  private Samples samples(String builtIn) {
    DataOptions options = dataFlags.options(builtIn);
    DataSets.Loaded loaded = DataSets.load(dataFlags.data(), dataFlags.testData(), options);
    Samples samples = loaded.test() != null ? loaded.test() : loaded.train();
    if (loaded.train() instanceof TabularSamples training && loaded.format() == DataFormat.CSV) {
      samples = Standardisation.fit(training).apply((TabularSamples) samples);
    }
    if (evalSamples != null && samples.size() > evalSamples) {
      samples = samples.subset(Subsets.sample(samples.size(), evalSamples, seed));
    }
    return samples;
  }

  /** The command line with the project's look and exit codes; tests call this too. */
  public static CommandLine commandLine() {
    return Cli.commandLine(new EvaluateCommand(), EvaluateOptions.SET, t -> t instanceof DataMissingException ? ExitCode.MISSING
        : t instanceof IllegalArgumentException || t instanceof IOException || t instanceof BadDataException
        ? ExitCode.BAD_INPUT : null);
  }

  public static void main(String[] args) {
    PartyMain.configureLogging();
    System.exit(commandLine().execute(args));
  }
}
