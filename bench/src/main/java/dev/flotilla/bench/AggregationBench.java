package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.FloatKernels;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.protocol.tensor.TensorStreamException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Aggregation throughput: the server's path for received update chunks (size and finiteness
 * checks, decode, fold into the running weighted sum) against a plain weighted float-array sum in
 * the same JVM (the limit: the same arithmetic with nothing around it).
 */
final class AggregationBench {

  record Result(int updates, long floatsPerUpdate, double serverFloatsPerSecond, double plainFloatsPerSecond) {
    double ratio() {
      return serverFloatsPerSecond / plainFloatsPerSecond;
    }
  }

  static Result run(String model, int updates, int iterations) {
    List<TensorSpec> specs = ModelSpecs.forName(model);
    long floats = ModelSpecs.totalElements(specs);
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
    double sink = 0;
    // warm-up both paths, then measure alternately so that both see the same machine state
    for (int i = 0; i < Math.max(3, iterations / 2); i++) {
      sink += serverPath(specs, encoded);
      sink += plainPath(specs, weights);
    }
    long serverNanos = 0;
    long plainNanos = 0;
    for (int i = 0; i < iterations; i++) {
      // thread CPU time: the work is single-threaded, and CPU time ignores other load on the machine
      long t0 = CpuClock.thread();
      sink += serverPath(specs, encoded);
      long t1 = CpuClock.thread();
      sink += plainPath(specs, weights);
      long t2 = CpuClock.thread();
      serverNanos += t1 - t0;
      plainNanos += t2 - t1;
    }
    if (sink == 42.4242) {
      System.out.println(sink); // keeps the JIT from dropping the work
    }
    double total = (double) floats * updates * iterations;
    return new Result(updates, floats, total / (serverNanos / 1e9), total / (plainNanos / 1e9));
  }

  /**
   * The server's receive path for each chunk ({@link TensorStreamDecoder#acceptFinite}: chunk checks,
   * then block by block the NaN/Inf check and the hand-over) into the fold of the streaming
   * strategies ({@link FloatKernels#addScaled} into a double-precision sum), then the average.
   */
  private static double serverPath(List<TensorSpec> specs, List<List<ByteString>> encoded) {
    double[][] sum = new double[specs.size()][];
    for (int t = 0; t < sum.length; t++) {
      sum[t] = new double[specs.get(t).numElements()];
    }
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
    return average(sum, total)[0][0];
  }

  private static double plainPath(List<TensorSpec> specs, List<float[][]> weights) {
    double[][] sum = new double[specs.size()][];
    for (int t = 0; t < sum.length; t++) {
      sum[t] = new double[specs.get(t).numElements()];
    }
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
    return average(sum, total)[0][0];
  }

  private static float[][] average(double[][] sum, double total) {
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
