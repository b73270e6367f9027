package dev.flotilla.protocol.secagg;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The aggregator's account of who holds whose shares (since {@code secagg+/3}). A share reaches its
 * holder either through the aggregator's relay, which the aggregator saw, or over the peer channel,
 * which it did not: for those it takes the sender's word that it delivered directly <em>and</em> the
 * holder's share receipt, and counts a share as held only when both say so. A party holds a
 * neighbour's shares exactly when it added their pairwise mask, so this account decides which masks
 * of a dropped party come out of the sum, whose revealed shares are taken, and whether a round can be
 * unmasked at all. A receipt speaks only for its sender and is bounded: at most the party's
 * neighbours, each of which completed the share round and said it delivered to this party directly.
 */
final class ShareHoldings {
    private final SecAggParams params;
    private final NeighbourGraph graph;
    /** owner -> neighbours its shares were relayed to by the aggregator. */
    private final Map<Integer, Set<Integer>> relayedTo = new TreeMap<>();
    /** owner -> neighbours it says took its shares over the peer channel. */
    private final Map<Integer, Set<Integer>> deliveredTo = new TreeMap<>();
    /** holder -> owners whose shares it says reached it over the peer channel (its receipt). */
    private final Map<Integer, Set<Integer>> receipts = new TreeMap<>();

    ShareHoldings(SecAggParams params, NeighbourGraph graph) {
        this.params = params;
        this.graph = graph;
    }

    /** The share round of {@code owner}, already checked: to whom the aggregator relays, to whom it delivered directly. */
    void shared(int owner, Set<Integer> relayed, Set<Integer> direct) {
        relayedTo.put(owner, Set.copyOf(relayed));
        deliveredTo.put(owner, Set.copyOf(direct));
    }

    /**
     * {@code holder}'s share receipt: the owners whose shares reached it over the peer channel.
     *
     * @throws SecAggException naming what is wrong: a second receipt, too many entries, a party outside the
     *     roster, a duplicate, an owner that is no neighbour, did not complete the share round, or did not
     *     say it delivered to {@code holder} directly
     */
    void receipt(int holder, List<Integer> owners) {
        if (receipts.containsKey(holder)) {
            throw new SecAggException("party " + holder + " sent its share receipt twice");
        }
        if (owners.size() > params.neighbours()) {
            throw new SecAggException("party " + holder + "'s share receipt names " + owners.size() + " parties; it has "
                    + params.neighbours() + " neighbours");
        }
        Set<Integer> held = new TreeSet<>();
        for (int owner : owners) {
            params.checkParty(owner, "named in party " + holder + "'s share receipt");
            if (!held.add(owner)) {
                throw new SecAggException("party " + holder + "'s share receipt names party " + owner + " twice");
            }
            if (!graph.adjacent(holder, owner)) {
                throw new SecAggException("party " + holder + "'s share receipt names party " + owner
                        + ", which is not its neighbour");
            }
            if (!deliveredTo.containsKey(owner)) {
                throw new SecAggException("party " + holder + "'s share receipt names party " + owner
                        + ", which did not complete the share round");
            }
            if (!deliveredTo.get(owner).contains(holder)) {
                throw new SecAggException("party " + holder + "'s share receipt names party " + owner + ", which did not"
                        + " deliver its shares to party " + holder + " over the peer channel");
            }
        }
        receipts.put(holder, held);
    }

    /** Whether {@code holder} holds {@code owner}'s shares (so added their pairwise mask, and may reveal one). */
    boolean holds(int holder, int owner) {
        if (relayedTo.getOrDefault(owner, Set.of()).contains(holder)) {
            return true;
        }
        return receipts.getOrDefault(holder, Set.of()).contains(owner);
    }

    /** How many of {@code among} hold {@code owner}'s shares. */
    int holders(int owner, Set<Integer> among) {
        int count = 0;
        for (int neighbour : graph.neighbours(owner)) {
            if (among.contains(neighbour) && holds(neighbour, owner)) {
                count++;
            }
        }
        return count;
    }

    /**
     * Before any share is revealed: every pair of neighbouring survivors holds each other's shares or neither
     * does (else one added a pairwise mask the other did not, and the sum cannot be recovered), and every
     * secret to recover (a survivor's self-mask seed, a dropped party's mask key) is held by at least threshold
     * survivors.
     *
     * @throws SecAggException "the round fails: ..." naming the parties
     */
    void checkRecoverable(Set<Integer> survivors, Set<Integer> dropped) {
        for (int a : survivors) {
            for (int b : graph.neighbours(a)) {
                if (a < b && survivors.contains(b) && holds(a, b) != holds(b, a)) {
                    int holder = holds(a, b) ? a : b;
                    int other = holder == a ? b : a;
                    throw new SecAggException("the round fails: party " + holder + " holds party " + other + "'s shares"
                            + " but party " + other + " does not hold party " + holder + "'s (by the relay and their share"
                            + " receipts), so their pairwise masks do not cancel; no share is revealed");
                }
            }
        }
        for (int owner : survivors) {
            requireHolders(owner, survivors, "self-mask seed");
        }
        for (int owner : dropped) {
            requireHolders(owner, survivors, "mask key");
        }
    }

    private void requireHolders(int owner, Set<Integer> survivors, String secret) {
        int holders = holders(owner, survivors);
        if (holders < params.threshold()) {
            throw new SecAggException("the round fails: " + holders + " survivors hold shares of party " + owner + "'s "
                    + secret + ", fewer than the threshold " + params.threshold() + " (too many of its neighbours dropped);"
                    + " no share is revealed");
        }
    }
}
