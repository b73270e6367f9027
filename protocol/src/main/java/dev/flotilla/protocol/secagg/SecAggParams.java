package dev.flotilla.protocol.secagg;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.v1.SecAggSetup;

/**
 * The public parameters of one masked round, as the aggregator announces them; a party checks them
 * with {@link #from} before it takes part.
 *
 * @param threshold shares of a party's secret needed to recover it; more than half of its neighbours,
 *     so that no two disjoint sets of neighbours can reveal both secrets of one party
 */
public record SecAggParams(byte[] roundSeed, int rosterSize, int neighbours, int threshold, double clipRange) {
    public static final int SEED_BYTES = 32;
    /**
     * What a party that can take part in masked rounds announces at Join; every party and the aggregator
     * must share the version (3: shares over the peer channel with share receipts, and round keys bound to the
     * party's certificate, RoundKeyBinding; 2: every share relayed, keys unbound, masks from AES-256-CTR;
     * 1: masks from ChaCha20).
     */
    public static final String CAPABILITY = "secagg+/3";
    /** Fewer than 3 parties: the sum minus one's own update is the other's update. */
    public static final int MIN_ROSTER = 3;
    /** Strategies that aggregate the mean of the updates, which is all a masked round reveals. */
    public static final java.util.List<String> MEAN_STRATEGIES = java.util.List.of("fedavg", "fedprox", "fedadam", "fedyogi");
    public static final int MAX_ROSTER = 10_000;

    public SecAggParams {
        roundSeed = roundSeed.clone();
        if (roundSeed.length != SEED_BYTES) {
            throw new SecAggException("the round seed is " + roundSeed.length + " bytes, not " + SEED_BYTES);
        }
        if (rosterSize < MIN_ROSTER || rosterSize > MAX_ROSTER) {
            throw new SecAggException("a masked round has " + MIN_ROSTER + " to " + MAX_ROSTER + " parties, not " + rosterSize);
        }
        if (neighbours < 2 || neighbours > rosterSize - 1 || (neighbours < rosterSize - 1 && neighbours % 2 != 0)) {
            throw new SecAggException("neighbours " + neighbours + " must be even and in 2.." + (rosterSize - 1)
                    + ", or " + (rosterSize - 1) + " (every other party)");
        }
        if (2 * threshold <= neighbours || threshold > neighbours) {
            throw new SecAggException("threshold " + threshold + " must be more than half of the " + neighbours
                    + " neighbours and at most all of them");
        }
        new FixedPoint(clipRange);
    }

    /**
     * Why a party that announced {@code capabilities} at Join cannot take part in this aggregator's
     * masked rounds, or null when it can: it announced no SecAgg+ version, or another one.
     */
    public static String joinRefusal(java.util.List<String> capabilities) {
        if (capabilities.contains(CAPABILITY)) {
            return null;
        }
        java.util.List<String> others = capabilities.stream().filter(c -> c.startsWith("secagg+/")).toList();
        return "did not announce the capability " + CAPABILITY + " at Join" + (others.isEmpty() ? ""
                : " (it announced " + String.join(", ", others) + "; " + CAPABILITY + " delivers shares over the "
                + "peer channel with receipts and binds each party's round keys to its certificate, secagg+/2 relays "
                + "every share and the keys unbound, secagg+/1 masks with ChaCha20, and every party of a round must "
                + "use the same)")
                + ": it cannot mask its updates; run a party version that can";
    }

    /** O(log n) neighbours and a threshold of a bare majority of them. */
    public static SecAggParams withDefaults(byte[] roundSeed, int rosterSize, double clipRange) {
        int k = NeighbourGraph.defaultNeighbours(rosterSize);
        return new SecAggParams(roundSeed, rosterSize, k, k / 2 + 1, clipRange);
    }

    public static SecAggParams from(SecAggSetup setup) {
        return new SecAggParams(setup.getRoundSeed().toByteArray(), setup.getRosterSize(), setup.getNeighbours(),
                setup.getThreshold(), setup.getClipRange());
    }

    public SecAggSetup toSetup() {
        return SecAggSetup.newBuilder().setRoundSeed(ByteString.copyFrom(roundSeed)).setRosterSize(rosterSize)
                .setNeighbours(neighbours).setThreshold(threshold).setClipRange(clipRange).build();
    }

    @Override
    public byte[] roundSeed() {
        return roundSeed.clone();
    }

    NeighbourGraph graph() {
        return NeighbourGraph.of(roundSeed, rosterSize, neighbours);
    }

    /** {@code where} says where the index came from, for the message; empty for the sender itself. */
    void checkParty(int party, String where) {
        if (party < 0 || party >= rosterSize) {
            throw new SecAggException("party " + party + " is not in the roster (0.." + (rosterSize - 1) + ")"
                    + (where.isEmpty() ? "" : ": " + where));
        }
    }
}
