package dev.flotilla.bench;

import dev.flotilla.party.data.IdxFiles;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.aggregation.DpFedAvg;
import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.aggregation.Strategies;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.aggregation.StrategyOptions;
import dev.flotilla.server.aggregation.UpdateSink;
import dev.flotilla.server.model.HeapModel;
import dev.flotilla.protocol.privacy.GaussianNoise;
import dev.flotilla.server.privacy.PrivacyBudget;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Accuracy of DP-FedAvg on Fashion-MNIST at several epsilons against non-private FedAvg, in one run:
 * the aggregator's own strategies ({@link DpFedAvg}: clipping, unit weights, fixed denominator,
 * noise; FedAvg for the peer) and its accountant (the noise multiplier for each epsilon is the
 * smallest the accountant allows for the rounds), driven in one process over many simulated
 * parties. Client-level DP needs many parties (the noise on the average shrinks with the expected
 * participants), more than real party processes fit on this machine, so the parties here are a
 * softmax regression trained in plain Java on an IID split; the transport is not part of it.
 */
@Command(name = "dp-accuracy", mixinStandardHelpOptions = true,
    description = {"Test accuracy of DP-FedAvg at each --epsilons (delta --delta) against non-private FedAvg on the",
        "same sampled parties, softmax regression on Fashion-MNIST; prints the ratios."})
final class DpAccuracyBench implements Callable<Integer> {

  private static final int PIXELS = 784;
  private static final int CLASSES = 10;

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", description = "Fashion-MNIST idx files (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--parties", defaultValue = "1000", description = "Simulated parties, IID split of the 60 000 training images (default ${DEFAULT-VALUE}).")
  int parties;

  @Option(names = "--sampling-rate", defaultValue = "0.1", description = "Party sampling rate per round (default ${DEFAULT-VALUE}).")
  double samplingRate;

  @Option(names = "--rounds", defaultValue = "100", description = "Rounds (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--clip", defaultValue = "1.0", description = "DP clipping norm S (default ${DEFAULT-VALUE}).")
  double clip;

  @Option(names = "--epsilons", split = ",", defaultValue = "1,4,8", description = "Budgets (default ${DEFAULT-VALUE}).")
  List<Double> epsilons;

  @Option(names = "--delta", defaultValue = "1e-5", description = "Delta (default ${DEFAULT-VALUE}).")
  double delta;

  @Option(names = "--lr", defaultValue = "0.1", description = "Local SGD learning rate (default ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--batch-size", defaultValue = "10", description = "Local batch size; one local epoch per round (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the split, the sampling and the local order (default ${DEFAULT-VALUE}).")
  long seed;

  private float[][] trainX;
  private int[] trainY;
  private float[][] testX;
  private int[] testY;
  private final List<TensorSpec> specs = List.of(new TensorSpec("fc.weight", new long[] {CLASSES, PIXELS}),
      new TensorSpec("fc.bias", new long[] {CLASSES}));

  @Override
  public Integer call() throws Exception {
    double[] load = BenchMain.loadAverage();
    System.out.printf(Locale.ROOT, "%s, load average at start: %.2f %.2f %.2f%n", Instant.now(), load[0], load[1], load[2]);
    trainX = images("train-images-idx3-ubyte");
    trainY = labels("train-labels-idx1-ubyte");
    testX = images("t10k-images-idx3-ubyte");
    testY = labels("t10k-labels-idx1-ubyte");
    int[][] split = split();
    Path spill = Files.createTempDirectory("flotilla-dp-bench");
    double expected = samplingRate * parties;
    System.out.printf(Locale.ROOT, "%d parties (%d images each), sampling rate %s (%.0f expected a round), %d rounds, "
        + "1 local epoch, batch %d, lr %s, clip %s, delta %s%n", parties, split[0].length, samplingRate, expected, rounds,
        batchSize, lr, clip, delta);

    long start = System.nanoTime();
    double plain = run(Strategies.byName("fedavg", StrategyOptions.defaults()), split, spill, false);
    System.out.printf(Locale.ROOT, "FedAvg (non-private): test accuracy %.2f%% (%.0f s)%n", plain * 100,
        (System.nanoTime() - start) / 1e9);
    List<String> rows = new ArrayList<>();
    for (double epsilon : epsilons) {
      double z = noiseMultiplierFor(epsilon);
      PrivacyBudget budget = new PrivacyBudget(epsilon, delta, clip, z, samplingRate);
      start = System.nanoTime();
      double accuracy = run(new DpFedAvg(budget, expected, GaussianNoise::fresh), split, spill, true);
      String row = String.format(Locale.ROOT, "| %s | %.3f | %.4f | %.2f%% | %.2f%% | %.3f |", epsilon, z,
          z * clip / expected, accuracy * 100, plain * 100, accuracy / plain);
      rows.add(row);
      System.out.printf(Locale.ROOT, "DP-FedAvg epsilon %s (spent %.3f): z %.3f, accuracy %.2f%%, ratio to FedAvg %.3f (%.0f s)%n",
          epsilon, budget.epsilonAfter(rounds), z, accuracy * 100, accuracy / plain, (System.nanoTime() - start) / 1e9);
    }
    System.out.println("| epsilon (delta " + delta + ") | noise multiplier z | noise std on the average | DP-FedAvg | FedAvg | ratio |");
    System.out.println("|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    load = BenchMain.loadAverage();
    System.out.printf(Locale.ROOT, "%s, load average at the end: %.2f %.2f %.2f%n", Instant.now(), load[0], load[1], load[2]);
    return 0;
  }

  /** The smallest noise multiplier (to 0.1 %) whose epsilon after --rounds stays within {@code epsilon}. */
  private double noiseMultiplierFor(double epsilon) {
    double low = 0.01;
    double high = 1000;
    while (high / low > 1.001) {
      double mid = Math.sqrt(low * high);
      if (new PrivacyBudget(epsilon, delta, clip, mid, samplingRate).epsilonAfter(rounds) <= epsilon) {
        high = mid;
      } else {
        low = mid;
      }
    }
    return high;
  }

  /** Test accuracy after --rounds of {@code strategy}; the same sampling and local order for every strategy. */
  private double run(Strategy strategy, int[][] split, Path spill, boolean unitWeights) throws Exception {
    float[][] model = {new float[CLASSES * PIXELS], new float[CLASSES]};
    SplittableRandom sampling = new SplittableRandom(seed);
    for (int round = 1; round <= rounds; round++) {
      HeapModel base = new HeapModel(round - 1, specs, model);
      float[][] next = {new float[CLASSES * PIXELS], new float[CLASSES]};
      try (RoundAggregation aggregation = strategy.begin(base, spill)) {
        for (int p = 0; p < parties; p++) {
          if (sampling.nextDouble() >= samplingRate) {
            continue;
          }
          float[][] local = train(model, split[p], new SplittableRandom(seed * 31 + round * 100_003L + p));
          UpdateSink sink = aggregation.open("p" + p, unitWeights ? 1 : split[p].length);
          for (int t = 0; t < 2; t++) {
            sink.accept(t, 0, FloatBuffer.wrap(local[t]), local[t].length);
          }
          sink.commit();
        }
        if (aggregation.committed() == 0 && !unitWeights) {
          continue; // FedAvg has no mean of nothing: the model stays
        }
        aggregation.finish((tensor, offset, src, at, count) -> System.arraycopy(src, at, next[tensor], offset, count));
      }
      model = next;
    }
    return accuracy(model);
  }

  /** One epoch of minibatch SGD on the softmax regression from {@code global}, in a shuffled order. */
  private float[][] train(float[][] global, int[] indices, SplittableRandom random) {
    float[] w = global[0].clone();
    float[] b = global[1].clone();
    int[] order = indices.clone();
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    float[] gw = new float[w.length];
    float[] gb = new float[CLASSES];
    double[] prob = new double[CLASSES];
    for (int from = 0; from < order.length; from += batchSize) {
      int to = Math.min(order.length, from + batchSize);
      java.util.Arrays.fill(gw, 0);
      java.util.Arrays.fill(gb, 0);
      for (int s = from; s < to; s++) {
        float[] x = trainX[order[s]];
        softmax(w, b, x, prob);
        prob[trainY[order[s]]] -= 1;
        for (int c = 0; c < CLASSES; c++) {
          float g = (float) prob[c];
          gb[c] += g;
          int row = c * PIXELS;
          for (int k = 0; k < PIXELS; k++) {
            gw[row + k] += g * x[k];
          }
        }
      }
      float step = (float) (lr / (to - from));
      for (int k = 0; k < w.length; k++) {
        w[k] -= step * gw[k];
      }
      for (int c = 0; c < CLASSES; c++) {
        b[c] -= step * gb[c];
      }
    }
    return new float[][] {w, b};
  }

  private static void softmax(float[] w, float[] b, float[] x, double[] out) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < CLASSES; c++) {
      double z = b[c];
      int row = c * PIXELS;
      for (int k = 0; k < PIXELS; k++) {
        z += w[row + k] * x[k];
      }
      out[c] = z;
      max = Math.max(max, z);
    }
    double sum = 0;
    for (int c = 0; c < CLASSES; c++) {
      out[c] = Math.exp(out[c] - max);
      sum += out[c];
    }
    for (int c = 0; c < CLASSES; c++) {
      out[c] /= sum;
    }
  }

  private double accuracy(float[][] model) {
    double[] prob = new double[CLASSES];
    int right = 0;
    for (int i = 0; i < testX.length; i++) {
      softmax(model[0], model[1], testX[i], prob);
      int best = 0;
      for (int c = 1; c < CLASSES; c++) {
        best = prob[c] > prob[best] ? c : best;
      }
      right += best == testY[i] ? 1 : 0;
    }
    return right / (double) testX.length;
  }

  /** An IID split: the training images shuffled with --seed, dealt out in equal parts. */
  private int[][] split() {
    int[] all = new int[trainY.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = all.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = all[i];
      all[i] = all[j];
      all[j] = tmp;
    }
    int each = all.length / parties;
    int[][] parts = new int[parties][];
    for (int p = 0; p < parties; p++) {
      parts[p] = java.util.Arrays.copyOfRange(all, p * each, (p + 1) * each);
    }
    return parts;
  }

  private float[][] images(String name) {
    IdxFiles.IdxArray a = IdxFiles.read(IdxFiles.locate(data, name));
    int n = a.dimensions()[0];
    float[][] x = new float[n][PIXELS];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < PIXELS; k++) {
        x[i][k] = (a.data()[i * PIXELS + k] & 0xff) / 255f;
      }
    }
    return x;
  }

  private int[] labels(String name) {
    IdxFiles.IdxArray a = IdxFiles.read(IdxFiles.locate(data, name));
    int[] y = new int[a.dimensions()[0]];
    for (int i = 0; i < y.length; i++) {
      y[i] = a.data()[i] & 0xff;
    }
    return y;
  }
}
