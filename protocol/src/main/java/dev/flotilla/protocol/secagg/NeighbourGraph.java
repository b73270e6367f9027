package dev.flotilla.protocol.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import javax.crypto.Cipher;

/**
 * The random k-regular graph of SecAgg+: a Harary graph (each party is joined to the k/2 parties on
 * either side of it on a ring) over a random permutation of the roster. The permutation comes from
 * the aggregator's public round seed, so every party computes the same graph; with k at least
 * roster size - 1 the graph is complete.
 */
public final class NeighbourGraph {
    private final int[][] neighbours;

    private NeighbourGraph(int[][] neighbours) {
        this.neighbours = neighbours;
    }

    /** k = 2 ceil(log2 n), at most n - 1: O(log n) neighbours, as Bell et al. propose. */
    public static int defaultNeighbours(int rosterSize) {
        int log2 = 32 - Integer.numberOfLeadingZeros(rosterSize - 1);
        return Math.min(rosterSize - 1, 2 * log2);
    }

    static NeighbourGraph of(byte[] roundSeed, int rosterSize, int k) {
        int[][] neighbours = new int[rosterSize][];
        if (k >= rosterSize - 1) {
            for (int party = 0; party < rosterSize; party++) {
                int[] others = new int[rosterSize - 1];
                for (int other = 0, n = 0; other < rosterSize; other++) {
                    if (other != party) {
                        others[n++] = other;
                    }
                }
                neighbours[party] = others;
            }
            return new NeighbourGraph(neighbours);
        }
        int[] ring = permutation(roundSeed, rosterSize);
        for (int position = 0; position < rosterSize; position++) {
            int[] around = new int[k];
            for (int d = 1; d <= k / 2; d++) {
                around[2 * d - 2] = ring[(position + d) % rosterSize];
                around[2 * d - 1] = ring[(position - d + rosterSize) % rosterSize];
            }
            Arrays.sort(around);
            neighbours[ring[position]] = around;
        }
        return new NeighbourGraph(neighbours);
    }

    /** The neighbours of {@code party}, ascending. */
    public int[] neighbours(int party) {
        return neighbours[party].clone();
    }

    public boolean adjacent(int a, int b) {
        return Arrays.binarySearch(neighbours[a], b) >= 0;
    }

    /** Fisher-Yates with uniform draws (rejection sampling) from the mask keystream (AES-256-CTR) keyed by the round seed. */
    private static int[] permutation(byte[] roundSeed, int size) {
        Cipher stream = MaskStream.keystream(KeyAgreement25519.hkdf(roundSeed, new byte[0], "neighbour graph"));
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        byte[] zeros = new byte[4];
        for (int i = size - 1; i > 0; i--) {
            int bound = i + 1;
            long limit = (1L << 31) / bound * bound;
            int draw;
            do {
                draw = ByteBuffer.wrap(stream.update(zeros)).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0x7fffffff;
            } while (draw >= limit);
            int j = draw % bound;
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
