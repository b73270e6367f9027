package dev.flotilla.protocol.secagg;

import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Runs whole SecAgg+ rounds in one process, with parties that drop after sharing keys, on seeded randomness. */
final class SecAggSimulation {
    static final int CHUNK_VALUES = 256;

    private SecAggSimulation() {
    }

    /** What one round gave: the unmasked sum and the plain sum of the survivors' encoded updates. */
    record Outcome(int[] sum, int[] expectedSum, List<Integer> survivors, double survivorWeight, float[] plainMean) {
    }

    static SecureRandom seeded(long seed) {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(seed);
            return random;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static SecAggParams params(int rosterSize, long seed) {
        byte[] roundSeed = new byte[SecAggParams.SEED_BYTES];
        seeded(seed).nextBytes(roundSeed);
        return SecAggParams.withDefaults(roundSeed, rosterSize, 4.0);
    }

    static float[][] updates(int parties, int values, long seed) {
        Random random = new Random(seed);
        float[][] updates = new float[parties][values];
        for (float[] update : updates) {
            for (int v = 0; v < values; v++) {
                update[v] = (float) (random.nextGaussian() * 1.5);
            }
        }
        return updates;
    }

    static double[] weights(int parties, long seed) {
        Random random = new Random(seed);
        long[] samples = new long[parties];
        long total = 0;
        for (int p = 0; p < parties; p++) {
            samples[p] = 50 + random.nextInt(450);
            total += samples[p];
        }
        double[] weights = new double[parties];
        for (int p = 0; p < parties; p++) {
            weights[p] = (double) samples[p] / total;
        }
        return weights;
    }

    /** Parties in {@code dropAfterSharing} advertise keys and share them, then send nothing more. */
    static Outcome run(SecAggParams params, float[][] updates, double[] weights, Set<Integer> dropAfterSharing, long seed) {
        int n = params.rosterSize();
        int values = updates[0].length;
        FixedPoint fixedPoint = new FixedPoint(params.clipRange());
        SecAggAggregator aggregator = new SecAggAggregator(params, values);
        SecAggParty[] parties = new SecAggParty[n];
        for (int p = 0; p < n; p++) {
            parties[p] = new SecAggParty(params, p, seeded(seed * 1000 + p));
            aggregator.acceptKeys(p, parties[p].advertiseKeys());
        }
        aggregator.closeKeys();
        for (int p = 0; p < n; p++) {
            aggregator.acceptShares(p, parties[p].shareKeys(aggregator.rosterFor(p)));
        }
        aggregator.closeShares();
        int[] expected = new int[values];
        double[] weightedSum = new double[values];
        double survivorWeight = 0;
        for (int p = 0; p < n; p++) {
            if (dropAfterSharing.contains(p)) {
                continue;
            }
            int[] encoded = fixedPoint.encode(updates[p], weights[p]);
            for (int v = 0; v < values; v++) {
                expected[v] += encoded[v];
                weightedSum[v] += weights[p] * Math.max(-params.clipRange(), Math.min(params.clipRange(), updates[p][v]));
            }
            survivorWeight += weights[p];
            parties[p].maskInput(aggregator.sharesFor(p), encoded);
            // chunks of 256 to 32 768 values (more than the fold's block of 16 384); odd parties' as the server
            // passes them: read-only views into a larger message's bytes
            for (byte[] chunk : chunks(encoded, CHUNK_VALUES << (p % 8))) {
                if (p % 2 == 1) {
                    aggregator.foldMasked(p, asReceived(chunk));
                } else {
                    aggregator.foldMasked(p, chunk);
                }
            }
        }
        SecAggUnmaskRequest request = consistencyCheck(aggregator, parties, aggregator.closeInputs());
        for (int p : request.getSurvivorsList()) {
            aggregator.acceptUnmask(p, parties[p].unmask(request));
        }
        float[] plainMean = new float[values];
        for (int v = 0; v < values; v++) {
            plainMean[v] = (float) (weightedSum[v] / survivorWeight);
        }
        return new Outcome(aggregator.unmaskedSum(), expected, aggregator.survivors(), survivorWeight, plainMean);
    }

    /** Round 3: every survivor signs the lists; the signed request that round 4 sends. */
    static SecAggUnmaskRequest consistencyCheck(SecAggAggregator aggregator, SecAggParty[] parties, SecAggUnmaskRequest lists) {
        for (int p : lists.getSurvivorsList()) {
            aggregator.acceptSignature(p, parties[p].signSurvivors(lists));
        }
        return aggregator.closeConsistency();
    }

    /** The wire form of a masked input: little-endian 32-bit values in chunks. */
    static List<byte[]> chunks(int[] masked) {
        return chunks(masked, CHUNK_VALUES);
    }

    static List<byte[]> chunks(int[] masked, int chunkValues) {
        List<byte[]> chunks = new ArrayList<>();
        for (int start = 0; start < masked.length; start += chunkValues) {
            int count = Math.min(chunkValues, masked.length - start);
            ByteBuffer chunk = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v = 0; v < count; v++) {
                chunk.putInt(masked[start + v]);
            }
            chunks.add(chunk.array());
        }
        return chunks;
    }

    /**
     * {@code chunk} as the server hands a received chunk to the aggregator: a read-only buffer over the bytes of a
     * larger message, at a non-zero offset, with other bytes before and after it.
     */
    static ByteBuffer asReceived(byte[] chunk) {
        byte[] message = new byte[chunk.length + 12];
        java.util.Arrays.fill(message, (byte) 0x5a);
        System.arraycopy(chunk, 0, message, 7, chunk.length);
        return ByteBuffer.wrap(message, 7, chunk.length).slice().asReadOnlyBuffer();
    }
}
