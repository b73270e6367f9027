package dev.flotilla.bench;

import dev.flotilla.protocol.secagg.FixedPoint;
import dev.flotilla.protocol.secagg.SecAggAggregator;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.secagg.SecAggParty;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench secagg}: the computation a SecAgg+ round adds, in one process and one thread, against
 * plain FedAvg's fold of the same updates measured in the same run. Not a federation round: no
 * network, no training (the SecAgg+ core is not yet wired into the server and the party).
 */
@Command(name = "secagg", mixinStandardHelpOptions = true,
    description = {"The computation of a SecAgg+ round (protocol core, one process, one thread) against plain FedAvg:",
        "the aggregator's fold of the masked inputs plus its unmasking, as a ratio to the weighted float fold of",
        "the same updates; per party, encoding and masking; unmasking again with --dropout of the parties dropped",
        "after sharing keys. Every input arrives as 1 MiB little-endian chunks, as on the wire."})
final class SecAggBench implements Callable<Integer> {
  private static final int CHUNK_VALUES = 1 << 18;
  private static final VarHandle LE_FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  @Option(names = "--parties", defaultValue = "100", description = "Parties in the round (default ${DEFAULT-VALUE}).")
  int parties;

  @Option(names = "--values", defaultValue = "1000000", description = "Model values (default ${DEFAULT-VALUE}).")
  int values;

  @Option(names = "--dropout", defaultValue = "0.1",
      description = "Share of the parties dropped after sharing keys in the second round (default ${DEFAULT-VALUE}).")
  double dropout;

  /** Nanoseconds spent per phase of one round. */
  record Times(long partyEncodeAndMask, long aggregatorFold, long aggregatorUnmask, int survivors) {
    long aggregator() {
      return aggregatorFold + aggregatorUnmask;
    }
  }

  @Override
  public Integer call() {
    double[] load = BenchMain.loadAverage();
    System.out.printf(Locale.ROOT, "secagg: %d parties, %d values, load average %.1f%n", parties, values, load[0]);
    plainFedAvgFold(); // warm-up: the JIT compiles the fold before it is measured
    long plain = plainFedAvgFold();
    Times full = round(0);
    Times dropped = round((int) Math.round(parties * dropout));
    System.out.printf(Locale.ROOT, "plain FedAvg fold of %d updates: %.2f s%n", parties, plain / 1e9);
    report("no dropout", full, plain);
    report(Math.round(parties * dropout) + " dropped after key sharing", dropped, plain);
    System.out.printf(Locale.ROOT, "recovery: unmasking with dropouts / without = %.2f%n",
        (double) dropped.aggregatorUnmask() / full.aggregatorUnmask());
    System.out.printf(Locale.ROOT, "load average at the end %.1f%n", BenchMain.loadAverage()[0]);
    return 0;
  }

  private void report(String what, Times times, long plain) {
    System.out.printf(Locale.ROOT, "SecAgg+ (%s, %d survivors): aggregator fold %.2f s + unmask %.2f s = %.2f s,"
            + " ratio to plain FedAvg %.2f; per party encode + mask %.3f s%n", what, times.survivors(),
        times.aggregatorFold() / 1e9, times.aggregatorUnmask() / 1e9, times.aggregator() / 1e9,
        (double) times.aggregator() / plain, times.partyEncodeAndMask() / 1e9 / times.survivors());
  }

  /** The peer: float32 little-endian chunks folded with each party's weight into a double sum, then the mean. */
  private long plainFedAvgFold() {
    double[] sum = new double[values];
    double weight = 1.0 / parties;
    long spent = 0;
    for (int p = 0; p < parties; p++) {
      byte[][] chunks = floatChunks(update(p));
      long start = System.nanoTime();
      for (int c = 0; c < chunks.length; c++) {
        int base = c * CHUNK_VALUES;
        for (int i = 0; i < chunks[c].length / 4; i++) {
          sum[base + i] += weight * (float) LE_FLOAT.get(chunks[c], i * 4);
        }
      }
      spent += System.nanoTime() - start;
    }
    long start = System.nanoTime();
    float[] mean = new float[values];
    for (int i = 0; i < values; i++) {
      mean[i] = (float) sum[i];
    }
    spent += System.nanoTime() - start;
    // read the mean, so that the JIT cannot drop the loops that made it
    return mean[values - 1] == Float.MAX_VALUE ? spent + 1 : spent;
  }

  private Times round(int dropouts) {
    byte[] seed = new byte[SecAggParams.SEED_BYTES];
    new SecureRandom().nextBytes(seed);
    SecAggParams params = SecAggParams.withDefaults(seed, parties, 4.0);
    FixedPoint fixedPoint = new FixedPoint(params.clipRange());
    SecAggAggregator aggregator = new SecAggAggregator(params, values);
    SecAggParty[] party = new SecAggParty[parties];
    SecureRandom random = new SecureRandom();
    long partyTime = 0;
    long aggregatorTime = 0;
    for (int p = 0; p < parties; p++) {
      party[p] = new SecAggParty(params, p, random);
      aggregator.acceptKeys(p, party[p].advertiseKeys());
    }
    aggregator.closeKeys();
    for (int p = 0; p < parties; p++) {
      aggregator.acceptShares(p, party[p].shareKeys(aggregator.rosterFor(p)));
    }
    aggregator.closeShares();
    for (int p = dropouts; p < parties; p++) {
      float[] update = update(p);
      long start = System.nanoTime();
      int[] masked = fixedPoint.encode(update, 1.0 / parties);
      party[p].maskInput(aggregator.sharesFor(p), masked);
      partyTime += System.nanoTime() - start;
      byte[][] chunks = intChunks(masked);
      start = System.nanoTime();
      for (byte[] chunk : chunks) {
        aggregator.foldMasked(p, chunk);
      }
      aggregatorTime += System.nanoTime() - start;
    }
    long start = System.nanoTime();
    SecAggUnmaskRequest lists = aggregator.closeInputs();
    long closing = System.nanoTime() - start;
    for (int p : lists.getSurvivorsList()) {
      aggregator.acceptSignature(p, party[p].signSurvivors(lists));
    }
    SecAggUnmaskRequest request = aggregator.closeConsistency();
    for (int p : request.getSurvivorsList()) {
      aggregator.acceptUnmask(p, party[p].unmask(request));
    }
    start = System.nanoTime();
    int[] sum = aggregator.unmaskedSum();
    fixedPoint.decodeMean(sum, (parties - dropouts) / (double) parties);
    long unmask = closing + System.nanoTime() - start;
    return new Times(partyTime, aggregatorTime, unmask, parties - dropouts);
  }

  private float[] update(int party) {
    Random random = new Random(party);
    float[] update = new float[values];
    for (int i = 0; i < values; i++) {
      update[i] = (float) random.nextGaussian();
    }
    return update;
  }

  private static byte[][] floatChunks(float[] values) {
    byte[][] chunks = new byte[(values.length + CHUNK_VALUES - 1) / CHUNK_VALUES][];
    for (int c = 0; c < chunks.length; c++) {
      int count = Math.min(CHUNK_VALUES, values.length - c * CHUNK_VALUES);
      chunks[c] = new byte[count * 4];
      for (int i = 0; i < count; i++) {
        LE_FLOAT.set(chunks[c], i * 4, values[c * CHUNK_VALUES + i]);
      }
    }
    return chunks;
  }

  private static byte[][] intChunks(int[] values) {
    byte[][] chunks = new byte[(values.length + CHUNK_VALUES - 1) / CHUNK_VALUES][];
    for (int c = 0; c < chunks.length; c++) {
      int count = Math.min(CHUNK_VALUES, values.length - c * CHUNK_VALUES);
      chunks[c] = new byte[count * 4];
      for (int i = 0; i < count; i++) {
        LE_INT.set(chunks[c], i * 4, values[c * CHUNK_VALUES + i]);
      }
    }
    return chunks;
  }
}
