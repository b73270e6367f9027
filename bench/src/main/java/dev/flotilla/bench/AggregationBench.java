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
 * Aggregation throughput, four ways over the same updates, measured in one thread by its own CPU
 * time, interleaved pass by pass (the order turning each pass), in windows of {@value #WINDOW_PASSES}
 * passes, each after a warm-up that lasts until the JIT is idle ({@link JitIdle}):
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
      double plainFloatsPerSecond, double singlePassKernelFloatsPerSecond, int warmUpBatches, int windowsNotIdle) {
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
    Passes passes = new Passes(fedavg, base, spill, specs, weights, encoded);
    long[] nanos = new long[PATHS];
    int warmUpBatches = 0;
    int windowsNotIdle = 0;
    int measured = 0;
    for (int window = 0; measured < iterations; window++) {
      // before each window the JIT is left to finish: on 2 loaded cores C2 works on the Vector API code for a long time
      int turn = window;
      JitIdle.Outcome warm = JitIdle.warmUp(() -> passes.all(turn));
      warmUpBatches += warm.batches();
      if (!warm.idle()) {
        windowsNotIdle++;
      }
      int passesInWindow = Math.min(WINDOW_PASSES, iterations - measured);
      for (int i = 0; i < passesInWindow; i++) {
        // interleaved, the order turning each pass: drift of the machine (and of the JIT) hits every path alike
        for (int k = 0; k < PATHS; k++) {
          int path = (measured + k) % PATHS;
          // this thread's CPU time: the work is single-threaded, and other load on the machine does not count
          long t0 = CpuClock.thread();
          passes.run(path);
          nanos[path] += CpuClock.thread() - t0;
        }
        measured++;
      }
    }
    passes.keep();
    double total = (double) floats * updates * iterations;
    return new Result(updates, floats, total / (nanos[SERVER] / 1e9), total / (nanos[KERNEL] / 1e9),
        total / (nanos[PLAIN] / 1e9), total / (nanos[SINGLE_PASS] / 1e9), warmUpBatches, windowsNotIdle);
  }

  private static final int SERVER = 0;
  private static final int KERNEL = 1;
  private static final int PLAIN = 2;
  private static final int SINGLE_PASS = 3;
  private static final int PATHS = 4;
  /** Measured passes between two waits for an idle JIT. */
  static final int WINDOW_PASSES = 5;

  /** The four paths over the same updates; what they return is summed so that the JIT cannot drop the work. */
  private record Passes(Strategy fedavg, HeapModel base, Path spill, List<TensorSpec> specs, List<float[][]> weights,
      List<List<ByteString>> encoded, double[] sink) {

    Passes(Strategy fedavg, HeapModel base, Path spill, List<TensorSpec> specs, List<float[][]> weights,
        List<List<ByteString>> encoded) {
      this(fedavg, base, spill, specs, weights, encoded, new double[1]);
    }

    void run(int path) {
      try {
        sink[0] += switch (path) {
          case SERVER -> serverPath(fedavg, base, spill, encoded);
          case KERNEL -> kernelPath(specs, encoded);
          case PLAIN -> plainPath(specs, weights);
          case SINGLE_PASS -> singlePassKernel(specs, weights);
          default -> throw new IllegalArgumentException("path " + path);
        };
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** One pass of every path, starting with a different one each time. */
    void all(int turn) {
      for (int k = 0; k < PATHS; k++) {
        run((turn + k) % PATHS);
      }
    }

    void keep() {
      if (sink[0] == 42.4242) {
        System.out.println(sink[0]); // keeps the JIT from dropping the work
      }
    }
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
