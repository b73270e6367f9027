package dev.flotilla.server.model;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bin/flotilla model}: write a built-in's initial model, show a safetensors file's layout. */
@Command(name = "flotilla model",
    description = "Model files (safetensors): write a built-in architecture's initial model, show a file's layout.",
    subcommands = {ModelCommand.Init.class, ModelCommand.Show.class, CommandLine.HelpCommand.class})
public final class ModelCommand implements Runnable {

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (init, show)");
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Write a built-in architecture's initial model (seeded, as the server makes it with --model) as "
          + "safetensors, with metadata flotilla.model naming it; use it with --initial-model or in PyTorch.")
  static final class Init implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true)
    String model;

    @Option(names = "--seed")
    long seed;

    @Option(names = "--out", required = true)
    Path out;

    @Override
    public Integer call() throws IOException {
      List<TensorSpec> layout;
      try {
        layout = ModelSpecs.forName(model);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--model: " + e.getMessage());
      }
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("format", "pt");
      metadata.put(Safetensors.MODEL_KEY, model);
      metadata.put("seed", Long.toString(seed));
      Safetensors.write(out, layout, ModelSpecs.initialWeights(model, seed), metadata);
      PrintWriter w = spec.commandLine().getOut();
      w.printf("wrote %s: model %s (seed %d), %d tensors, %d values, %d bytes%n", out, model, seed, layout.size(),
          ModelSpecs.totalElements(layout), java.nio.file.Files.size(out));
      w.flush();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print a safetensors file's metadata and layout (name, dtype, shape, values, bytes) and totals; "
          + "reads and checks the header only.")
  static final class Show implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The safetensors file.")
    Path file;

    @Override
    public Integer call() throws IOException {
      SafetensorsHeader header = Safetensors.readLayout(file);
      PrintWriter w = spec.commandLine().getOut();
      w.println(file);
      header.metadata().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> w.printf("  %s = %s%n", e.getKey(), e.getValue()));
      int width = Math.max(6, header.layout().stream().mapToInt(t -> t.name().length()).max().orElse(0));
      w.printf("  %-" + width + "s  %-5s  %-20s  %14s  %14s%n", "tensor", "dtype", "shape", "values", "bytes");
      long values = 0;
      for (TensorSpec t : header.layout()) {
        w.printf("  %-" + width + "s  %-5s  %-20s  %14d  %14d%n", t.name(), t.dtype().safetensorsName(),
            t.shapeString(), t.elementCount(), t.fileBytes());
        values += t.elementCount();
      }
      w.printf("total: %d tensors, %d values, %d bytes of data (%s), file %d bytes%n", header.layout().size(), values,
          header.dataBytes(), human(header.dataBytes()), header.dataStart() + header.dataBytes());
      w.flush();
      return 0;
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format("%.1f %s", v, units[u]);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Usage errors exit 2, a missing file 4, a file that is not safetensors 6, each with one line on stderr. */
  public static CommandLine commandLine() {
    return Cli.commandLine(new ModelCommand(), ModelOptions.SETS,
        t -> t instanceof IOException || t instanceof IllegalArgumentException ? ExitCode.BAD_INPUT : null);
  }
}
