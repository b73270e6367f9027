package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every model of a test job as a function of a value's position {@code g} in the model's float32
 * stream (all tensors in layout order): the initial model, each party's update in each round, and
 * the sample-weighted mean the server must make of them. The values are small multiples of 1/4
 * and 1/2, so every product and sum the server forms in double precision is exact and the expected
 * float32 mean is bit for bit what a correct server exports; neighbouring values differ, and no
 * shift by a chunk or a tensor maps the stream onto itself. Also the parties' {@link FleetScript}:
 * it sends these updates and checks every fetched value, keeping those at the watched byte offsets.
 */
final class KnownValues implements FleetScript {

  /** {@code (a * g + b mod m - m / 2) * scale}, generated without a division per value. */
  record Pattern(long a, long b, long m, float scale) {
    Pattern {
      if (a <= 0 || a >= m) {
        throw new IllegalArgumentException("the step must be in 1..m-1");
      }
    }

    void fill(long g, float[] dst, int at, int count) {
      long r = Math.floorMod(a * g + b, m);
      for (int i = 0; i < count; i++) {
        dst[at + i] = (r - m / 2) * scale;
        r += a;
        if (r >= m) {
          r -= m;
        }
      }
    }
  }

  static final Pattern INITIAL = new Pattern(7, 3, 2003, 0.25f);

  private final List<TensorSpec> layout;
  private final long[] samples;
  private final long totalValues;
  private final long[] watchedBytes;
  private final Map<String, Float> watched = new ConcurrentHashMap<>();

  /**
   * @param samples what each party announces and claims (its weight in the mean)
   * @param watchedBytes byte offsets in the model's values (multiples of 4) whose fetched values are kept
   */
  KnownValues(List<TensorSpec> layout, long[] samples, long... watchedBytes) {
    this.layout = layout;
    this.samples = samples.clone();
    this.totalValues = layout.stream().mapToLong(TensorSpec::elementCount).sum();
    this.watchedBytes = watchedBytes.clone();
  }

  static Pattern updateOf(int party, int round) {
    return new Pattern(party + 3, 11L * round, 1013, 0.5f);
  }

  /** {@code count} values of global model version {@code version} (0: the initial model) from position {@code g}. */
  void global(long version, long g, float[] dst, int at, int count) {
    if (version == 0) {
      INITIAL.fill(g, dst, at, count);
      return;
    }
    int round = Math.toIntExact(version);
    double total = 0;
    for (long s : samples) {
      total += s;
    }
    double[] sum = new double[count];
    float[] u = new float[count];
    for (int p = 0; p < samples.length; p++) {
      updateOf(p, round).fill(g, u, 0, count);
      for (int i = 0; i < count; i++) {
        sum[i] += samples[p] * (double) u[i];
      }
    }
    for (int i = 0; i < count; i++) {
      dst[at + i] = (float) (sum[i] / total);
    }
  }

  float global(long version, long g) {
    float[] one = new float[1];
    global(version, g, one, 0, 1);
    return one[0];
  }

  long totalValues() {
    return totalValues;
  }

  /** Position of element {@code index} of tensor {@code tensor} in the model's stream. */
  long position(int tensor, long index) {
    long g = 0;
    for (int t = 0; t < tensor; t++) {
      g += layout.get(t).elementCount();
    }
    return g + index;
  }

  /** "big.weight[536870911] (value 536871911 of the model)" */
  String describe(long g) {
    long start = 0;
    for (TensorSpec t : layout) {
      if (g < start + t.elementCount()) {
        return t.name() + "[" + (g - start) + "] (value " + g + " of the model)";
      }
      start += t.elementCount();
    }
    return "value " + g + ", beyond the model's " + totalValues;
  }

  /** The value party {@code party} fetched at byte {@code offset} in {@code round}, if watched; else null. */
  Float fetchedAt(int party, int round, long offset) {
    return watched.get(party + "/" + round + "/" + offset);
  }

  @Override
  public long samples(int party) {
    return samples[party];
  }

  /** The party's update as 1 MiB chunks, each made when gRPC asks for it. */
  @Override
  public Iterator<ByteString> update(int party, int round) {
    Pattern values = updateOf(party, round);
    int perChunk = TensorChunks.MAX_CHUNK_BYTES / Float.BYTES;
    return new Iterator<>() {
      private long next;

      @Override
      public boolean hasNext() {
        return next < totalValues;
      }

      @Override
      public ByteString next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int n = (int) Math.min(perChunk, totalValues - next);
        float[] block = new float[n];
        values.fill(next, block, 0, n);
        ByteBuffer bytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(block);
        next += n;
        return UnsafeByteOperations.unsafeWrap(bytes);
      }
    };
  }

  /** Every fetched value must be the global model the round started from (version round - 1). */
  @Override
  public void fetched(int party, int round, long offset, ByteString data) {
    if (offset % Float.BYTES != 0 || data.size() % Float.BYTES != 0) {
      throw new AssertionError("a chunk of " + data.size() + " bytes at byte " + offset + " splits a float32 value");
    }
    FloatBuffer got = data.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int n = got.remaining();
    long g = offset / Float.BYTES;
    if (g + n > totalValues) {
      throw new AssertionError("the fetched model goes on beyond its " + totalValues + " values");
    }
    float[] expected = new float[n];
    global(round - 1, g, expected, 0, n);
    for (int i = 0; i < n; i++) {
      float v = got.get(i);
      if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(expected[i])) {
        throw new AssertionError("party " + party + " fetched " + v + " at " + describe(g + i) + " in round " + round
            + ", expected " + expected[i] + " (model version " + (round - 1) + ")");
      }
    }
    for (long w : watchedBytes) {
      if (w >= offset && w < offset + data.size()) {
        watched.put(party + "/" + round + "/" + w, got.get((int) ((w - offset) / Float.BYTES)));
      }
    }
  }
}
