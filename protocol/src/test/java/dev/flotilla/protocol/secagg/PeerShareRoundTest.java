package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.protocol.status.ShareRoutes;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggRevealedShare;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import dev.flotilla.protocol.v1.SecAggUnmaskResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * secagg+/3: shares delivered party to party (here a map stands for the peer channel; the party module tests
 * the real one), the aggregator relaying only what could not be delivered and learning who holds whose shares
 * from the senders' deliveries and the holders' share receipts.
 */
class PeerShareRoundTest {
    private static final int VALUES = 300;

    /** One round: parties, the aggregator, and what went party to party (from, to) -> share. */
    private static final class Round {
        final SecAggParams params;
        final SecAggAggregator aggregator;
        final SecAggParty[] parties;
        final Map<List<Integer>, SecAggEncryptedShare> peerChannel = new HashMap<>();
        final Map<Integer, List<Integer>> receipts = new HashMap<>();
        final Map<Integer, List<SecAggEncryptedShare>> held = new HashMap<>();
        int relayedShares;

        Round(int n, long seed) {
            params = SecAggSimulation.params(n, seed);
            aggregator = new SecAggAggregator(params, VALUES);
            parties = new SecAggParty[n];
            for (int p = 0; p < n; p++) {
                parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(seed * 100 + p));
                aggregator.acceptKeys(p, parties[p].advertiseKeys());
            }
            aggregator.closeKeys();
        }

        /** Every party but {@code silent} shares: directly, except to the (from, to) pairs {@code unreachable}. */
        void share(Set<List<Integer>> unreachable, Set<Integer> silent) {
            for (int p = 0; p < parties.length; p++) {
                SecAggShareBundle sealed = parties[p].shareKeys(aggregator.rosterFor(p));
                if (silent.contains(p)) {
                    continue;
                }
                SecAggShareBundle.Builder bundle = SecAggShareBundle.newBuilder();
                for (SecAggEncryptedShare share : sealed.getSharesList()) {
                    if (unreachable.contains(List.of(p, share.getTo()))) {
                        bundle.addShares(share);
                    } else {
                        peerChannel.put(List.of(p, share.getTo()), share);
                        bundle.addDeliveredDirectly(share.getTo());
                    }
                }
                aggregator.acceptShares(p, bundle.build());
            }
            aggregator.closeShares();
            for (int p = 0; p < parties.length; p++) {
                if (silent.contains(p)) {
                    continue;
                }
                List<SecAggEncryptedShare> relayed = aggregator.sharesFor(p);
                relayedShares += relayed.size();
                List<SecAggEncryptedShare> mine = new ArrayList<>(relayed);
                Set<Integer> relayedFrom = new HashSet<>();
                relayed.forEach(s -> relayedFrom.add(s.getFrom()));
                List<Integer> receipt = new ArrayList<>();
                for (int from : aggregator.sharedNeighboursOf(p)) {
                    SecAggEncryptedShare direct = peerChannel.get(List.of(from, p));
                    if (!relayedFrom.contains(from) && direct != null) {
                        mine.add(direct);
                        receipt.add(from);
                    }
                }
                held.put(p, mine);
                receipts.put(p, receipt);
            }
        }

        /** Parties not in {@code dropped} report their receipt and send masked inputs; returns the expected sum. */
        int[] mask(float[][] updates, Set<Integer> dropped) {
            FixedPoint fixedPoint = new FixedPoint(params.clipRange());
            int[] expected = new int[VALUES];
            for (int p = 0; p < parties.length; p++) {
                if (dropped.contains(p)) {
                    continue;
                }
                int[] encoded = fixedPoint.encode(updates[p], 1.0 / parties.length);
                for (int v = 0; v < VALUES; v++) {
                    expected[v] += encoded[v];
                }
                aggregator.acceptShareReceipt(p, receipts.get(p));
                parties[p].maskInput(held.get(p), encoded);
                for (byte[] chunk : SecAggSimulation.chunks(encoded)) {
                    aggregator.foldMasked(p, chunk);
                }
            }
            return expected;
        }

        int[] unmask() {
            SecAggUnmaskRequest request = SecAggSimulation.consistencyCheck(aggregator, parties, aggregator.closeInputs());
            for (int p : request.getSurvivorsList()) {
                aggregator.acceptUnmask(p, parties[p].unmask(request));
            }
            return aggregator.unmaskedSum();
        }
    }

    @Test
    @DisplayName("every share goes party to party: the aggregator relays none, and the unmasked sum is exact")
    void allSharesOverThePeerChannel() {
        Round round = new Round(20, 1);
        round.share(Set.of(), Set.of());
        int[] expected = round.mask(SecAggSimulation.updates(20, VALUES, 1), Set.of());

        assertThat(round.relayedShares).isZero();
        assertThat(round.peerChannel).hasSize(20 * round.params.neighbours());
        assertThat(round.aggregator.shareRoutes())
                .isEqualTo(new ShareRoutes(20 * round.params.neighbours(), 0));
        assertThat(round.unmask()).containsExactly(expected);
    }

    @Test
    @DisplayName("a neighbour that cannot be reached gets its shares by the relay; the others go directly; the sum is exact")
    void unreachablePeerFallsBackToTheRelay() {
        Round round = new Round(20, 2);
        int unreachable = 7;
        Set<List<Integer>> pairs = new HashSet<>();
        for (int from : round.aggregator.neighboursOf(unreachable)) {
            pairs.add(List.of(from, unreachable));
        }
        round.share(pairs, Set.of());
        int[] expected = round.mask(SecAggSimulation.updates(20, VALUES, 2), Set.of());

        assertThat(round.relayedShares).isEqualTo(round.params.neighbours());
        assertThat(round.aggregator.shareRoutes()).isEqualTo(new ShareRoutes(
                19 * round.params.neighbours(), round.params.neighbours()));
        assertThat(round.aggregator.sharesFor(unreachable)).hasSize(round.params.neighbours())
                .allMatch(share -> share.getTo() == unreachable);
        assertThat(round.receipts.get(unreachable)).isEmpty();
        assertThat(round.unmask()).containsExactly(expected);
    }

    @Test
    @DisplayName("10 % of parties drop after sharing party to party: their masks come out by the holders' receipts, the sum is exact")
    void tenPercentDropAfterDirectSharing() {
        Round round = new Round(50, 3);
        round.share(Set.of(List.of(3, round.aggregator.neighboursOf(3)[0])), Set.of());
        Set<Integer> dropped = Set.of(4, 11, 19, 28, 40);
        int[] expected = round.mask(SecAggSimulation.updates(50, VALUES, 3), dropped);

        assertThat(round.unmask()).containsExactly(expected);
        assertThat(round.aggregator.dropped()).containsExactlyInAnyOrderElementsOf(dropped);
    }

    @Test
    @DisplayName("a party that delivered some shares directly but never completed the share round is not taken as a holder's "
            + "neighbour: its shares stay unused and the sum is exact")
    void halfSharedPartyIsIgnored() {
        Round round = new Round(20, 4);
        int silent = 5;
        int neighbour = round.aggregator.neighboursOf(silent)[0];
        round.share(Set.of(), Set.of(silent));
        // it managed to leave one share on a neighbour's peer endpoint before it died
        round.peerChannel.put(List.of(silent, neighbour), SecAggEncryptedShare.newBuilder().setFrom(silent)
                .setTo(neighbour).build());
        assertThat(round.aggregator.sharedNeighboursOf(neighbour)).doesNotContain(silent);
        int[] expected = round.mask(SecAggSimulation.updates(20, VALUES, 4), Set.of(silent));

        assertThat(round.unmask()).containsExactly(expected);
        assertThat(round.aggregator.dropped()).isEmpty();
    }

    @Nested
    @DisplayName("hostile share receipts are refused with their reasons")
    class HostileReceipts {
        private final Round round = new Round(8, 5);
        private final int k = round.params.neighbours();

        HostileReceipts() {
            // party 0's shares to its first neighbour go by the relay; party 7 never completes the share round
            round.share(Set.of(List.of(0, round.aggregator.neighboursOf(0)[0])), Set.of(7));
        }

        @Test
        @DisplayName("a party outside the roster, too many entries, a duplicate, a second receipt, or one after the masked input began")
        void bounds() {
            int[] n1 = round.aggregator.neighboursOf(1);
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(1, List.of(8)))
                    .hasMessage("party 8 is not in the roster (0..7): named in party 1's share receipt");
            List<Integer> tooMany = new ArrayList<>();
            for (int i = 0; i <= k; i++) {
                tooMany.add(n1[i % n1.length]);
            }
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(1, tooMany))
                    .hasMessage("party 1's share receipt names " + (k + 1) + " parties; it has " + k + " neighbours");
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(1, List.of(n1[1], n1[1])))
                    .hasMessage("party 1's share receipt names party " + n1[1] + " twice");
            round.aggregator.acceptShareReceipt(1, round.receipts.get(1));
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(1, round.receipts.get(1)))
                    .hasMessage("party 1 sent its share receipt twice");
            round.aggregator.foldMasked(2, new byte[4]);
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(2, round.receipts.get(2)))
                    .hasMessage("party 2 reported its share receipt after its masked input began");
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(7, List.of()))
                    .hasMessage("party 7 reported a share receipt but shared no keys");
        }

        @Test
        @DisplayName("naming a non-neighbour, a party that did not complete the share round, or one whose shares were relayed")
        void namesNoOneDeliveredTo() {
            int stranger = firstNonNeighbour(1);
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(1, List.of(stranger)))
                    .hasMessage("party 1's share receipt names party " + stranger + ", which is not its neighbour");
            int viaRelay = round.aggregator.neighboursOf(0)[0];
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(viaRelay, List.of(0)))
                    .hasMessage("party " + viaRelay + "'s share receipt names party 0, which did not deliver its shares to"
                            + " party " + viaRelay + " over the peer channel");
            int neighbourOf7 = round.aggregator.neighboursOf(7)[0];
            assertThatThrownBy(() -> round.aggregator.acceptShareReceipt(neighbourOf7, List.of(7)))
                    .hasMessage("party " + neighbourOf7 + "'s share receipt names party 7, which did not complete the"
                            + " share round");
        }

        @Test
        @DisplayName("a receipt that leaves out a share the party holds fails the round before any share is revealed, naming the pair")
        void omittedShareFailsBeforeUnmasking() {
            int liar = 1;
            int left = round.receipts.get(liar).get(0);
            round.receipts.put(liar, round.receipts.get(liar).subList(1, round.receipts.get(liar).size()));
            round.mask(SecAggSimulation.updates(8, VALUES, 5), Set.of(7));

            assertThatThrownBy(round.aggregator::closeInputs)
                    .hasMessage("the round fails: party " + left + " holds party " + liar + "'s shares but party " + liar
                            + " does not hold party " + left + "'s (by the relay and their share receipts), so their"
                            + " pairwise masks do not cancel; no share is revealed");
        }

        @Test
        @DisplayName("a party that left a dropped neighbour out of its receipt is refused when it reveals that neighbour's share")
        void revealWithoutHolding() {
            int holder = 1;
            int owner = round.receipts.get(holder).get(0);
            List<Integer> receipt = new ArrayList<>(round.receipts.get(holder));
            receipt.remove(Integer.valueOf(owner));
            round.receipts.put(holder, receipt);
            round.mask(SecAggSimulation.updates(8, VALUES, 5), Set.of(7, owner));
            SecAggUnmaskRequest request = SecAggSimulation.consistencyCheck(round.aggregator, round.parties,
                    round.aggregator.closeInputs());
            assertThat(request.getDroppedList()).containsExactly(owner);

            assertThatThrownBy(() -> round.aggregator.acceptUnmask(holder, round.parties[holder].unmask(request)))
                    .hasMessage("party " + holder + " revealed a share of party " + owner + ", whose shares it does not hold"
                            + " (neither relayed to it nor in its share receipt)");
        }

        private int firstNonNeighbour(int party) {
            Set<Integer> neighbours = new HashSet<>();
            for (int n : round.aggregator.neighboursOf(party)) {
                neighbours.add(n);
            }
            for (int p = 0; p < 8; p++) {
                if (p != party && !neighbours.contains(p)) {
                    return p;
                }
            }
            throw new AssertionError("party " + party + " neighbours everyone");
        }
    }
}
