package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.FloatKernels;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.aggregation.Strategies;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.aggregation.StrategyOptions;
import dev.flotilla.server.aggregation.UpdateSink;
import dev.flotilla.server.model.HeapModel;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Aggregation throughput, four ways over the same updates, measured alternately in one thread:
 * <ul>
 *   <li>the server's path, as {@code Upload} runs it: each received data chunk through {@link
 *       TensorStreamDecoder#acceptChecking} (chunk checks) into the sink of a FedAvg round ({@code
 *       Strategy.begin}, {@code open}, {@code acceptChecking}: block by block the NaN/Inf check and the
 *       fold in one pass, the bytes kept in the spool; {@code commit}, {@code finish}), then the next model;
 *   <li>the receive path and the fold kernel alone ({@code acceptFinite} into
 *       {@link FloatKernels#addScaled} on a double array), then the mean;
 *   <li>the target's limit: a plain weighted sum (a Java loop) of the same updates held as float
 *       arrays, then the mean;
 *   <li>the same single pass through {@link FloatKernels#addScaled}, which is the Vector API when the
 *       JVM has {@code --add-modules jdk.incubator.vector}: the fastest single pass this JVM has, so
 *       that the figure does not flatter the server's path by comparing it with a scalar loop only.
 * </ul>
 */
final class AggregationBench {

  record Result(int updates, long floatsPerUpdate, double serverFloatsPerSecond, double kernelFloatsPerSecond,
      double plainFloatsPerSecond, double singlePassKernelFloatsPerSecond) {
    double ratio() {
      return serverFloatsPerSecond / plainFloatsPerSecond;
    }

    double kernelRatio() {
      return kernelFloatsPerSecond / plainFloatsPerSecond;
    }

    /** The server's path against the single pass through the fold kernel. */
    double ratioToSinglePassKernel() {
      return serverFloatsPerSecond / singlePassKernelFloatsPerSecond;
    }
  }

  static Result run(Path work, String model, int updates, int iterations) throws IOException {
    List<TensorSpec> specs = ModelSpecs.forName(model);
    long floats = ModelSpecs.totalElements(specs);
    HeapModel base = new HeapModel(0, specs, ModelSpecs.initialWeights(model, 1000));
    Strategy fedavg = Strategies.byName("fedavg", StrategyOptions.defaults());
    Random random = new Random(1);
    List<float[][]> weights = new ArrayList<>();
    List<List<ByteString>> encoded = new ArrayList<>();
    for (int u = 0; u < updates; u++) {
      float[][] w = ModelSpecs.initialWeights(model, u);
      for (float[] t : w) {
        for (int i = 0; i < t.length; i++) {
          t[i] += (float) random.nextGaussian() * 0.01f;
        }
      }
      weights.add(w);
      List<ByteString> chunks = new ArrayList<>();
      TensorChunks.dataChunks(w, TensorChunks.MAX_CHUNK_BYTES).forEachRemaining(chunks::add);
      encoded.add(chunks);
    }
    Path spill = Files.createDirectories(work.resolve("aggregation-spill"));
    double sink = 0;
    // warm-up all paths, then measure alternately so that they see the same machine state
    for (int i = 0; i < Math.max(3, iterations / 2); i++) {
      sink += serverPath(fedavg, base, spill, encoded);
      sink += kernelPath(specs, encoded);
      sink += plainPath(specs, weights);
      sink += singlePassKernel(specs, weights);
    }
    long serverNanos = 0;
    long kernelNanos = 0;
    long plainNanos = 0;
    long singlePassNanos = 0;
    for (int i = 0; i < iterations; i++) {
      // thread CPU time: the work is single-threaded, and CPU time ignores other load on the machine
      long t0 = CpuClock.thread();
      sink += serverPath(fedavg, base, spill, encoded);
      long t1 = CpuClock.thread();
      sink += kernelPath(specs, encoded);
      long t2 = CpuClock.thread();
      sink += plainPath(specs, weights);
      long t3 = CpuClock.thread();
      sink += singlePassKernel(specs, weights);
      long t4 = CpuClock.thread();
      serverNanos += t1 - t0;
      kernelNanos += t2 - t1;
      plainNanos += t3 - t2;
      singlePassNanos += t4 - t3;
    }
    if (sink == 42.4242) {
      System.out.println(sink); // keeps the JIT from dropping the work
    }
    double total = (double) floats * updates * iterations;
    return new Result(updates, floats, total / (serverNanos / 1e9), total / (kernelNanos / 1e9),
        total / (plainNanos / 1e9), total / (singlePassNanos / 1e9));
  }

  /**
   * One FedAvg round over the updates, as the server runs it, into a heap model: one spill directory
   * for every attempt, emptied before each (as the round loop does; a FedAvg round within its spool
   * memory writes no file there).
   */
  private static double serverPath(Strategy strategy, HeapModel base, Path spill, List<List<ByteString>> encoded)
      throws IOException {
    emptySpillDirectory(spill);
    try (RoundAggregation round = strategy.begin(base, spill)) {
      int weight = 1;
      for (List<ByteString> update : encoded) {
        UpdateSink sink = round.open("party-" + weight, weight++);
        TensorStreamDecoder decoder = new TensorStreamDecoder(base.specs());
        for (ByteString chunk : update) {
          decoder.acceptChecking(chunk, (t, off, values, n) -> {
            try {
              return sink.acceptChecking(t, off, values, n);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
        }
        decoder.requireComplete();
        sink.commit();
      }
      HeapModel.Builder next = new HeapModel.Builder(base.specs());
      round.finish(next);
      return next.build(1).values()[0][0];
    } catch (TensorStreamException | StatusException e) {
      throw new IllegalStateException("a benchmark update was refused", e);
    }
  }

  /** What the round loop does before each attempt: the spill directory exists and is empty. */
  private static void emptySpillDirectory(Path spill) throws IOException {
    Files.createDirectories(spill);
    try (Stream<Path> stale = Files.list(spill)) {
      for (Path p : stale.toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The receive path into the fold kernel on a double array, then the mean. */
  private static double kernelPath(List<TensorSpec> specs, List<List<ByteString>> encoded) {
    double[][] sum = zeros(specs);
    double total = 0;
    int weight = 1;
    for (List<ByteString> update : encoded) {
      TensorStreamDecoder decoder = new TensorStreamDecoder(specs);
      double w = weight++;
      try {
        for (ByteString chunk : update) {
          decoder.acceptFinite(chunk, (t, off, values, n) -> FloatKernels.addScaled(sum[t], off, values, n, w));
        }
        decoder.requireComplete();
      } catch (TensorStreamException e) {
        throw new IllegalStateException(e);
      }
      total += w;
    }
    return mean(sum, total)[0][0];
  }

  private static double plainPath(List<TensorSpec> specs, List<float[][]> weights) {
    double[][] sum = zeros(specs);
    double total = 0;
    int weight = 1;
    for (float[][] w : weights) {
      double wt = weight++;
      for (int t = 0; t < w.length; t++) {
        double[] s = sum[t];
        float[] x = w[t];
        for (int i = 0; i < x.length; i++) {
          s[i] += wt * x[i];
        }
      }
      total += wt;
    }
    return mean(sum, total)[0][0];
  }

  /** The plain path's single pass, through the fold kernel. */
  private static double singlePassKernel(List<TensorSpec> specs, List<float[][]> weights) {
    double[][] sum = zeros(specs);
    double total = 0;
    int weight = 1;
    for (float[][] w : weights) {
      double wt = weight++;
      for (int t = 0; t < w.length; t++) {
        FloatKernels.addScaled(sum[t], 0, w[t], 0, w[t].length, wt);
      }
      total += wt;
    }
    return mean(sum, total)[0][0];
  }

  private static double[][] zeros(List<TensorSpec> specs) {
    double[][] sum = new double[specs.size()][];
    for (int t = 0; t < sum.length; t++) {
      sum[t] = new double[specs.get(t).numElements()];
    }
    return sum;
  }

  private static float[][] mean(double[][] sum, double total) {
    float[][] avg = new float[sum.length][];
    for (int t = 0; t < sum.length; t++) {
      avg[t] = new float[sum[t].length];
      for (int i = 0; i < avg[t].length; i++) {
        avg[t][i] = (float) (sum[t][i] / total);
      }
    }
    return avg;
  }
}
