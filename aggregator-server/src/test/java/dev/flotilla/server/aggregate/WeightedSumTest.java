package dev.flotilla.server.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WeightedSumTest {

  @Test
  @DisplayName("folding chunks of concurrent uploads as they arrive gives the plain sample-weighted average")
  void streamingEqualsPlainAverage() throws Exception {
    List<TensorSpec> specs = List.of(new TensorSpec("w", new long[] {300, 70}), new TensorSpec("b", new long[] {300}),
        new TensorSpec("v", new long[] {7}));
    int parties = 8;
    Random random = new Random(5);
    float[][][] updates = new float[parties][][];
    long[] samples = new long[parties];
    for (int p = 0; p < parties; p++) {
      samples[p] = 1 + random.nextInt(1000);
      updates[p] = new float[specs.size()][];
      for (int t = 0; t < specs.size(); t++) {
        updates[p][t] = new float[specs.get(t).numElements()];
        for (int i = 0; i < updates[p][t].length; i++) {
          updates[p][t][i] = (float) random.nextGaussian();
        }
      }
    }
    WeightedSum sum = new WeightedSum(specs);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int p = 0; p < parties; p++) {
      int party = p;
      // ragged chunk sizes so that chunks straddle tensor boundaries differently per party
      int chunkBytes = 4 * (97 + 131 * p);
      futures.add(pool.submit(() -> {
        TensorStreamDecoder decoder = new TensorStreamDecoder(specs, chunkBytes);
        Iterator<ByteString> chunks = TensorChunks.dataChunks(updates[party], chunkBytes);
        while (chunks.hasNext()) {
          decoder.accept(chunks.next(), (t, off, values, n) -> sum.fold(t, off, values, n, samples[party]));
        }
        sum.commit(samples[party]);
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    float[][] average = sum.average();
    long total = 0;
    for (long s : samples) {
      total += s;
    }
    for (int t = 0; t < specs.size(); t++) {
      for (int i = 0; i < average[t].length; i++) {
        double expected = 0;
        for (int p = 0; p < parties; p++) {
          expected += (double) samples[p] * updates[p][t][i];
        }
        assertThat((double) average[t][i]).isCloseTo(expected / total, within(1e-5));
      }
    }
    assertThat(sum.contributions()).isEqualTo(parties);
    assertThat(sum.totalWeight()).isEqualTo((double) total);
  }

  @Test
  @DisplayName("weights count: a party with three times the samples pulls the average three times as hard")
  void weighting() {
    List<TensorSpec> specs = List.of(new TensorSpec("x", new long[] {1}));
    WeightedSum sum = new WeightedSum(specs);
    sum.fold(0, 0, java.nio.FloatBuffer.wrap(new float[] {4f}), 1, 3);
    sum.commit(3);
    sum.fold(0, 0, java.nio.FloatBuffer.wrap(new float[] {0f}), 1, 1);
    sum.commit(1);
    assertThat(sum.average()[0][0]).isEqualTo(3f);
  }
}
