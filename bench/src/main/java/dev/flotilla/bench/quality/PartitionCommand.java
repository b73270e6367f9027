package dev.flotilla.bench.quality;

import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.party.data.DataMissingException;
import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/flotilla partition}: the parts of the training set that parties started with the same options train on. */
@Command(
    name = "flotilla partition",
    sortOptions = false,
    description = {
      "Writes the split of the Fashion-MNIST training set that parties started with the same --partition, "
          + "--partition-count and --seed compute for themselves: per part its size, label counts and sample indices "
          + "(JSON), and prints one line per part. The learning-quality benchmark trains its PyTorch reference on it."},
    footerHeading = "%nExample:%n",
    footer = {"  bin/flotilla partition --partition dirichlet:0.5 --count 10 --seed 42 --out parts.json"})
public final class PartitionCommand implements Callable<Integer> {

  @Option(names = "--data")
  Path data;

  @Option(names = "--partition")
  String partition;

  @Option(names = {"--count", "--partition-count"}, required = true)
  int count;

  @Option(names = "--seed")
  long seed;

  @Option(names = "--out", required = true)
  Path out;

  @Override
  public Integer call() {
    FashionMnist.requireFiles(data);
    ImageDataset train = FashionMnist.train(data);
    PartitionFile file = PartitionFile.of(train, partition, count, seed);
    file.writeTo(out);
    PrintWriter stdout = new PrintWriter(System.out, true);
    stdout.printf("%s of %d training samples into %d parts (seed %d) -> %s%n", file.partition(), file.samples(),
        count, seed, out.toAbsolutePath());
    for (int p = 0; p < count; p++) {
      stdout.printf("  part %d: %d samples, per label %s%n", p, file.parts().get(p).length,
          Arrays.toString(file.labelCounts().get(p)));
    }
    return 0;
  }

  /** The command line with the project's look: a bad scheme or count is a usage error (2), missing data 4. */
  public static CommandLine commandLine() {
    return Cli.commandLine(new PartitionCommand(), PartitionOptions.SET, t -> t instanceof DataMissingException ? ExitCode.MISSING
        : t instanceof IllegalArgumentException ? ExitCode.USAGE : null);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
