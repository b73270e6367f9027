package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.model.HeapModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Drives strategies with plain values: layouts, updates sent chunk by chunk, the next model as arrays. */
final class Plain {

  private Plain() {}

  /** One float32 tensor per size, named t0, t1, ... */
  static List<TensorSpec> layout(int... sizes) {
    List<TensorSpec> specs = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      specs.add(new TensorSpec("t" + i, new long[] {sizes[i]}));
    }
    return specs;
  }

  static HeapModel model(List<TensorSpec> specs, float[][] values) {
    return new HeapModel(1, specs, values);
  }

  static HeapModel zeros(List<TensorSpec> specs) {
    return new HeapModel(1, specs, new HeapModel.Builder(specs).build(1).values());
  }

  /** Values drawn from N(mean, sd) in the shape of {@code specs}. */
  static float[][] gaussian(List<TensorSpec> specs, Random random, double mean, double sd) {
    float[][] v = new float[specs.size()][];
    for (int t = 0; t < v.length; t++) {
      v[t] = new float[specs.get(t).numElements()];
      for (int i = 0; i < v[t].length; i++) {
        v[t][i] = (float) (mean + sd * random.nextGaussian());
      }
    }
    return v;
  }

  /**
   * Sends tensors {@code [0, tensors)} of {@code update} in chunks of {@code chunk} values (the last of
   * a tensor shorter) as the receive path does: little-endian bytes through {@link UpdateSink#acceptChecking},
   * each chunk in a new buffer (the sink may keep it).
   */
  static void send(UpdateSink sink, float[][] update, int chunk, int tensors) throws IOException {
    for (int t = 0; t < tensors; t++) {
      for (int off = 0; off < update[t].length; off += chunk) {
        int n = Math.min(chunk, update[t].length - off);
        ByteBuffer bytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(update[t], off, n);
        int bad = sink.acceptChecking(t, off, bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN), n);
        if (bad >= 0) {
          throw new IllegalArgumentException("tensor " + t + " element " + (off + bad) + " is not finite");
        }
      }
    }
  }

  /** As {@link #send(UpdateSink, float[][], int, int)}, through {@link UpdateSink#accept} (checked float values, valid during the call). */
  static void sendChecked(UpdateSink sink, float[][] update, int chunk, int tensors) throws IOException {
    float[] scratch = new float[chunk];
    for (int t = 0; t < tensors; t++) {
      for (int off = 0; off < update[t].length; off += chunk) {
        int n = Math.min(chunk, update[t].length - off);
        System.arraycopy(update[t], off, scratch, 0, n);
        sink.accept(t, off, FloatBuffer.wrap(scratch, 0, n), n);
        java.util.Arrays.fill(scratch, Float.NaN); // the sink may not keep what accept handed it
      }
    }
  }

  static void send(UpdateSink sink, float[][] update, int chunk) throws IOException {
    send(sink, update, chunk, update.length);
  }

  static float[][] finish(RoundAggregation round, List<TensorSpec> specs) throws IOException {
    HeapModel.Builder next = new HeapModel.Builder(specs);
    round.finish(next);
    return next.build(2).values();
  }

  /** One attempt in which every update is sent whole and committed, in order. */
  static float[][] aggregate(Strategy strategy, HeapModel base, Path dir, double[] weights, float[][]... updates)
      throws Exception {
    try (RoundAggregation round = strategy.begin(base, dir)) {
      for (int p = 0; p < updates.length; p++) {
        UpdateSink sink = round.open("p" + p, weights[p]);
        send(sink, updates[p], 1000);
        sink.commit();
      }
      return finish(round, base.specs());
    }
  }

  static double[] ones(int n) {
    double[] w = new double[n];
    java.util.Arrays.fill(w, 1);
    return w;
  }
}
