package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggPublicKeys;
import dev.flotilla.protocol.v1.SecAggRevealedShare;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import dev.flotilla.protocol.v1.SecAggUnmaskResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every message from the other side is checked; a refusal says who and what. Roster of 8: k = 6, t = 4. */
class SecAggHostileMessagesTest {
    private static final int N = 8;
    private static final int VALUES = 16;

    private final SecAggParams params = SecAggSimulation.params(N, 21);
    private final SecAggAggregator aggregator = new SecAggAggregator(params, VALUES);
    private final SecAggParty[] parties = new SecAggParty[N];
    private final List<SecAggShareBundle> bundles = new ArrayList<>();
    private SecAggKeyRoster roster;

    SecAggHostileMessagesTest() {
        for (int p = 0; p < N; p++) {
            parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(300 + p));
        }
    }

    private void advertiseAll() {
        SecAggKeyRoster.Builder everyone = SecAggKeyRoster.newBuilder();
        for (int p = 0; p < N; p++) {
            var keys = parties[p].advertiseKeys();
            everyone.addKeys(keys);
            aggregator.acceptKeys(p, keys);
        }
        aggregator.closeKeys();
        // the whole roster, as an aggregator sending every party everyone's keys would: a party takes that too
        roster = everyone.build();
    }

    private void shareAll() {
        advertiseAll();
        for (int p = 0; p < N; p++) {
            bundles.add(parties[p].shareKeys(aggregator.rosterFor(p)));
            aggregator.acceptShares(p, bundles.get(p));
        }
        aggregator.closeShares();
    }

    /** Parties 0..N-2 send masked inputs, the last drops; then the survivors sign: the request of round 4. */
    private SecAggUnmaskRequest maskAllButLast() {
        return SecAggSimulation.consistencyCheck(aggregator, parties, maskAllButLastUnsigned());
    }

    /** Parties 0..N-2 send masked inputs; the last drops. The lists of the consistency check. */
    /** {@code party} and its neighbours: whose signatures it counts in the consistency check. */
    private java.util.Set<Integer> selfAndNeighbours(int party) {
        java.util.Set<Integer> counted = new java.util.HashSet<>();
        counted.add(party);
        for (int n : parties[party].neighbours()) {
            counted.add(n);
        }
        return counted;
    }

    /** The index in {@code signed} of a signature by a neighbour of {@code party} (whose signatures it counts). */
    private int signatureOfANeighbour(SecAggUnmaskRequest signed, int party) {
        for (int i = 0; i < signed.getSignaturesCount(); i++) {
            if (NeighbourGraph.of(params.roundSeed(), N, params.neighbours()).adjacent(party, signed.getSignatures(i).getParty())) {
                return i;
            }
        }
        throw new AssertionError("party " + party + " has no neighbour that signed");
    }

    private SecAggUnmaskRequest maskAllButLastUnsigned() {
        shareAll();
        for (int p = 0; p < N - 1; p++) {
            int[] encoded = new int[VALUES];
            parties[p].maskInput(aggregator.sharesFor(p), encoded);
            for (byte[] chunk : SecAggSimulation.chunks(encoded)) {
                aggregator.foldMasked(p, chunk);
            }
        }
        return aggregator.closeInputs();
    }

    private int firstNeighbour(int party) {
        return parties[party].neighbours()[0];
    }

    private int firstNonNeighbour(int party) {
        for (int other = 0; other < N; other++) {
            if (other != party && !NeighbourGraph.of(params.roundSeed(), N, params.neighbours()).adjacent(party, other)) {
                return other;
            }
        }
        throw new AssertionError("complete graph");
    }

    @Nested
    @DisplayName("the aggregator refuses")
    class Aggregator {
        @Test
        @DisplayName("keys under another index, twice, of the wrong length, or from a party outside the roster")
        void badKeys() {
            SecAggPublicKeys keys = parties[1].advertiseKeys();
            assertThatThrownBy(() -> aggregator.acceptKeys(2, keys)).hasMessage("party 2 advertised keys under index 1");
            aggregator.acceptKeys(1, keys);
            assertThatThrownBy(() -> aggregator.acceptKeys(1, keys)).hasMessage("party 1 advertised keys twice");
            SecAggPublicKeys shortKey = keys.toBuilder().setParty(3).setMaskKey(ByteString.copyFrom(new byte[31])).build();
            assertThatThrownBy(() -> aggregator.acceptKeys(3, shortKey))
                    .hasMessage("party 3 advertised keys of 32, 31 and 32 bytes; X25519 and Ed25519 public keys are 32 bytes");
            SecAggPublicKeys noSigningKey = keys.toBuilder().setParty(3).clearSigningKey().build();
            assertThatThrownBy(() -> aggregator.acceptKeys(3, noSigningKey))
                    .hasMessage("party 3 advertised keys of 32, 32 and 0 bytes; X25519 and Ed25519 public keys are 32 bytes");
            assertThatThrownBy(() -> aggregator.acceptKeys(N, keys.toBuilder().setParty(N).build()))
                    .hasMessage("party 8 is not in the roster (0..7)");
            assertThatThrownBy(() -> aggregator.acceptKeys(-1, keys)).hasMessage("party -1 is not in the roster (0..7)");
        }

        @Test
        @DisplayName("a share bundle with a share missing, for a non-neighbour, twice for one party, forged, or of the wrong size")
        void badShareBundles() {
            advertiseAll();
            SecAggShareBundle good = parties[0].shareKeys(roster);
            assertThatThrownBy(() -> aggregator.acceptShares(0, good.toBuilder().removeShares(0).build()))
                    .hasMessageStartingWith("party 0 sent 5 shares; it has 6 neighbours with keys");
            SecAggEncryptedShare first = good.getShares(0);
            int stranger = firstNonNeighbour(0);
            assertThatThrownBy(() -> aggregator.acceptShares(0, good.toBuilder().setShares(1, first.toBuilder().setTo(stranger)).build()))
                    .hasMessageStartingWith("party 0 sent a share for party " + stranger + ", which is not one of its neighbours");
            assertThatThrownBy(() -> aggregator.acceptShares(0, good.toBuilder().setShares(1, first).build()))
                    .hasMessage("party 0 sent two shares for party " + first.getTo());
            assertThatThrownBy(() -> aggregator.acceptShares(0, good.toBuilder().setShares(0, first.toBuilder().setFrom(5)).build()))
                    .hasMessage("party 0 sent a share marked as from party 5");
            assertThatThrownBy(() -> aggregator.acceptShares(0, good.toBuilder()
                    .setShares(0, first.toBuilder().setCiphertext(first.getCiphertext().concat(ByteString.copyFrom(new byte[1 << 20])))).build()))
                    .hasMessage("party 0 sent a share of 1048736 bytes; a sealed share is 160");
            aggregator.acceptShares(0, good);
            assertThatThrownBy(() -> aggregator.acceptShares(0, good)).hasMessage("party 0 sent shares twice");
        }

        @Test
        @DisplayName("masked chunks that are not whole values, run past the model, come from a party that shared no keys, or come too early")
        void badMaskedChunks() {
            advertiseAll();
            assertThatThrownBy(() -> aggregator.foldMasked(0, new byte[8]))
                    .hasMessage("party 0 cannot send masked input now: the round is at SHARES");
            for (int p = 1; p < N; p++) {
                aggregator.acceptShares(p, parties[p].shareKeys(roster));
            }
            aggregator.closeShares();
            assertThatThrownBy(() -> aggregator.foldMasked(0, new byte[8]))
                    .hasMessage("party 0 sent a masked input but shared no keys");
            assertThatThrownBy(() -> aggregator.foldMasked(1, new byte[7]))
                    .hasMessage("party 1 sent a masked chunk of 7 bytes, not a whole number of 32-bit values");
            aggregator.foldMasked(1, new byte[4 * (VALUES - 1)]);
            assertThatThrownBy(() -> aggregator.foldMasked(1, new byte[8]))
                    .hasMessage("party 1's masked input runs past the model's 16 values");
        }

        @Test
        @DisplayName("a survivor revealing both kinds of share of one party: the attack secure aggregation exists to stop")
        void bothSharesOfOnePeer() {
            SecAggUnmaskRequest request = maskAllButLast();
            int survivor = 0;
            int owner = firstNeighbour(survivor);
            SecAggRevealedShare seedShare = SecAggRevealedShare.newBuilder().setOwner(owner)
                    .setKind(SecAggRevealedShare.Kind.SELF_MASK_SEED).setValue(ByteString.copyFrom(new byte[] {1})).build();
            SecAggUnmaskResponse both = SecAggUnmaskResponse.newBuilder().addShares(seedShare)
                    .addShares(seedShare.toBuilder().setKind(SecAggRevealedShare.Kind.MASK_KEY)).build();

            assertThatThrownBy(() -> aggregator.acceptUnmask(survivor, both))
                    .hasMessage("party 0 revealed both the self-mask seed share and the mask key share of party " + owner
                            + "; refused, together they would unmask party " + owner + "'s update");
            // refused whole: the honest response is still accepted afterwards
            aggregator.acceptUnmask(survivor, parties[survivor].unmask(request));
        }

        @Test
        @DisplayName("revealed shares of the wrong kind, of a non-neighbour, too large, twice, or from a party that did not survive")
        void badRevealedShares() {
            SecAggUnmaskRequest request = maskAllButLast();
            int dropped = N - 1;
            int holder = firstNeighbour(dropped);
            SecAggRevealedShare wrongKind = SecAggRevealedShare.newBuilder().setOwner(dropped)
                    .setKind(SecAggRevealedShare.Kind.SELF_MASK_SEED).setValue(ByteString.copyFrom(new byte[] {1})).build();
            assertThatThrownBy(() -> aggregator.acceptUnmask(holder, SecAggUnmaskResponse.newBuilder().addShares(wrongKind).build()))
                    .hasMessage("party " + holder + " revealed a SELF_MASK_SEED share of party 7, which dropped (wanted MASK_KEY)");
            int stranger = firstNonNeighbour(0);
            assertThatThrownBy(() -> aggregator.acceptUnmask(0, SecAggUnmaskResponse.newBuilder()
                    .addShares(wrongKind.toBuilder().setOwner(stranger)).build()))
                    .hasMessage("party 0 revealed a share of party " + stranger + ", which shared no keys with it");
            int neighbour = firstNeighbour(0);
            assertThatThrownBy(() -> aggregator.acceptUnmask(0, SecAggUnmaskResponse.newBuilder()
                    .addShares(wrongKind.toBuilder().setOwner(neighbour).setValue(ByteString.copyFrom(new byte[67]))).build()))
                    .hasMessage("party 0's share of party " + neighbour + " is 67 bytes; a share is 1 to 66 bytes");
            assertThatThrownBy(() -> aggregator.acceptUnmask(dropped, SecAggUnmaskResponse.getDefaultInstance()))
                    .hasMessage("party 7 revealed shares but did not sign the survivor list");
            assertThatThrownBy(() -> aggregator.acceptUnmask(0, SecAggUnmaskResponse.newBuilder()
                    .addShares(wrongKind.toBuilder().setOwner(99)).build()))
                    .hasMessage("party 99 is not in the roster (0..7): party 0 revealed a share of it");
            aggregator.acceptUnmask(0, parties[0].unmask(request));
            assertThatThrownBy(() -> aggregator.acceptUnmask(0, SecAggUnmaskResponse.getDefaultInstance()))
                    .hasMessage("party 0 revealed shares twice");
        }
    }

    @Test
    @DisplayName("a survivor that reveals a wrong share of a neighbour's self-mask seed makes the round fail, not the sum wrong")
    void wrongRevealedShareFailsTheRound() {
        SecAggUnmaskRequest request = maskAllButLast();
        for (int p : request.getSurvivorsList()) {
            SecAggUnmaskResponse response = parties[p].unmask(request);
            if (p == 0) {
                SecAggRevealedShare first = response.getShares(0);
                byte[] value = first.getValue().toByteArray();
                value[value.length - 1] ^= 1;
                response = response.toBuilder().setShares(0, first.toBuilder().setValue(ByteString.copyFrom(value))).build();
            }
            aggregator.acceptUnmask(p, response);
        }

        assertThatThrownBy(aggregator::unmaskedSum).isInstanceOf(SecAggException.class)
                .hasMessageMatching("the round fails: the revealed shares of party \\d's (self-mask seed|mask key) disagree"
                        + " \\(a neighbour revealed a wrong share\\)");
    }

    @Nested
    @DisplayName("a party refuses")
    class Party {
        @Test
        @DisplayName("to sign lists that name a party both as survivor and as dropped, that leave it out, or have too few survivors")
        void badSurvivorLists() {
            SecAggUnmaskRequest request = maskAllButLastUnsigned();
            int neighbour = firstNeighbour(0);
            SecAggUnmaskRequest both = request.toBuilder().addDropped(neighbour).build();

            assertThatThrownBy(() -> parties[0].signSurvivors(both)).hasMessage("party " + neighbour
                    + " is listed both as a survivor and as dropped; revealing both of its secrets would unmask its update");
            assertThatThrownBy(() -> parties[1].signSurvivors(SecAggUnmaskRequest.newBuilder().addSurvivors(0).addSurvivors(2)
                    .addSurvivors(3).addSurvivors(4).build()))
                    .hasMessage("this party (1) sent its masked input but is not listed as a survivor");
            assertThatThrownBy(() -> parties[2].signSurvivors(SecAggUnmaskRequest.newBuilder().addSurvivors(2).addSurvivors(3).build()))
                    .hasMessage("only 2 survivors; at least 4 are needed before any share is revealed");
            assertThatThrownBy(() -> parties[3].signSurvivors(request.toBuilder().addSurvivors(3).build()))
                    .hasMessage("the unmask request lists survivor 3 twice");
            assertThatThrownBy(() -> parties[4].signSurvivors(request.toBuilder().addDropped(1000).build()))
                    .hasMessage("party 1000 is not in the roster (0..7): named as dropped party in the unmask request");
        }

        @Test
        @DisplayName("to reveal shares for lists other than those it signed, with too few signatures, or with a forged one "
                + "(the consistency check); the aggregator refuses a signature that does not verify")
        void consistencyCheck() {
            SecAggUnmaskRequest lists = maskAllButLastUnsigned();
            assertThatThrownBy(() -> aggregator.acceptSignature(0, new byte[64]))
                    .hasMessage("party 0's signature of the survivor list does not verify with the key it advertised");
            assertThatThrownBy(() -> aggregator.acceptSignature(N - 1, new byte[64]))
                    .hasMessage("party 7 signed the survivor list but is not a survivor");
            SecAggUnmaskRequest signed = SecAggSimulation.consistencyCheck(aggregator, parties, lists);

            // told 7 dropped when it signed, now told 7 survived: the lists differ
            SecAggUnmaskRequest.Builder swapped = signed.toBuilder().clearDropped().addSurvivors(N - 1);
            assertThatThrownBy(() -> parties[0].unmask(swapped.build()))
                    .hasMessage("the unmask request's survivor and dropped lists differ from the ones this party (0) signed"
                            + " in the consistency check; no share is revealed");
            SecAggUnmaskRequest few = signed.toBuilder().clearSignatures().addAllSignatures(signed.getSignaturesList().subList(0, 3)).build();
            assertThatThrownBy(() -> parties[1].unmask(few))
                    .hasMessage("only 3 survivors among this party and its neighbours signed the survivor list; 4 are needed"
                            + " before any share is revealed");
            int at = signatureOfANeighbour(signed, 2);
            int forgedSigner = signed.getSignatures(at).getParty();
            var forged = signed.getSignatures(at).toBuilder()
                    .setSignature(signed.getSignatures(at == 0 ? 1 : 0).getSignature()).build();
            assertThatThrownBy(() -> parties[2].unmask(signed.toBuilder().setSignatures(at, forged).build()))
                    .hasMessage("party " + forgedSigner + "'s signature of the survivor list does not verify: it signed other lists,"
                            + " or the aggregator altered them; no share is revealed");
            assertThatThrownBy(() -> parties[3].unmask(signed.toBuilder().addSignatures(signed.getSignatures(0)).build()))
                    .hasMessage("the unmask request carries two signatures of party 0");
        }

        @Test
        @DisplayName("counts only its own and its neighbours' signatures (SecAgg+'s neighbourhood-local check): "
                + "non-neighbours' signatures neither count nor are checked")
        void neighboursSignaturesCount() {
            SecAggUnmaskRequest signed = SecAggSimulation.consistencyCheck(aggregator, parties, maskAllButLastUnsigned());
            int reader = 0;
            java.util.Set<Integer> counted = selfAndNeighbours(reader);
            SecAggUnmaskRequest.Builder strangersOnly = signed.toBuilder().clearSignatures();
            int strangers = 0;
            for (var signature : signed.getSignaturesList()) {
                if (!counted.contains(signature.getParty())) {
                    strangers++;
                    strangersOnly.addSignatures(signature);
                }
            }
            org.assertj.core.api.Assertions.assertThat(strangers).isPositive();
            // a signer outside the roster is no neighbour either: not counted, and no index error
            strangersOnly.addSignatures(signed.getSignatures(0).toBuilder().setParty(1000));
            assertThatThrownBy(() -> parties[reader].unmask(strangersOnly.build()))
                    .hasMessage("only 0 survivors among this party and its neighbours signed the survivor list; "
                            + params.threshold() + " are needed before any share is revealed");
        }

        @Test
        @DisplayName("reveals its shares when its neighbours signed, whatever the aggregator put in a non-neighbour's "
                + "signature (that key is the non-neighbour's neighbours' to check)")
        void strangersSignatureIgnored() {
            SecAggUnmaskRequest signed = SecAggSimulation.consistencyCheck(aggregator, parties, maskAllButLastUnsigned());
            int reader = 0;
            java.util.Set<Integer> counted = selfAndNeighbours(reader);
            SecAggUnmaskRequest.Builder withForgedStranger = signed.toBuilder().clearSignatures();
            for (var signature : signed.getSignaturesList()) {
                withForgedStranger.addSignatures(counted.contains(signature.getParty()) ? signature
                        : signature.toBuilder().setSignature(com.google.protobuf.ByteString.copyFrom(new byte[64])).build());
            }
            org.assertj.core.api.Assertions.assertThat(parties[reader].unmask(withForgedStranger.build()).getSharesCount())
                    .isPositive();
        }

        @Test
        @DisplayName("a key roster that replaces its own keys, lists a party twice, or carries a small-order key")
        void badRosters() {
            SecAggPublicKeys[] keys = new SecAggPublicKeys[N];
            for (int p = 0; p < N; p++) {
                keys[p] = parties[p].advertiseKeys();
            }
            SecAggKeyRoster.Builder honest = SecAggKeyRoster.newBuilder().addAllKeys(List.of(keys));
            SecAggKeyRoster swapped = honest.clone().setKeys(0, keys[0].toBuilder().setMaskKey(keys[1].getMaskKey())).build();
            assertThatThrownBy(() -> parties[0].shareKeys(swapped))
                    .hasMessage("the key roster carries other keys for this party (0) than it advertised");
            SecAggKeyRoster twice = honest.clone().addKeys(keys[3]).build();
            assertThatThrownBy(() -> parties[1].shareKeys(twice)).hasMessage("the key roster has 9 entries for a roster of 8");
            SecAggKeyRoster duplicate = honest.clone().setKeys(4, keys[3]).build();
            assertThatThrownBy(() -> parties[2].shareKeys(duplicate)).hasMessage("the key roster lists party 3 twice");
            int neighbour = firstNeighbour(5);
            SecAggKeyRoster smallOrder = honest.clone().setKeys(neighbour,
                    keys[neighbour].toBuilder().setMaskKey(ByteString.copyFrom(new byte[32]))).build();
            assertThatThrownBy(() -> parties[5].shareKeys(smallOrder))
                    .hasMessage("a public key of parties " + Math.min(5, neighbour) + " and " + Math.max(5, neighbour)
                            + " is a point of small order (the agreement would be all zeros)");
        }

        @Test
        @DisplayName("a relayed share that was altered, redirected, or comes from a non-neighbour")
        void badRelayedShares() {
            shareAll();
            List<SecAggEncryptedShare> relayed = aggregator.sharesFor(0);
            SecAggEncryptedShare first = relayed.get(0);
            byte[] altered = first.getCiphertext().toByteArray();
            altered[40] ^= 1;
            List<SecAggEncryptedShare> tampered = new ArrayList<>(relayed);
            tampered.set(0, first.toBuilder().setCiphertext(ByteString.copyFrom(altered)).build());
            assertThatThrownBy(() -> parties[0].maskInput(tampered, new int[VALUES]))
                    .hasMessage("the shares from party " + first.getFrom() + " do not authenticate (wrong key, round or recipient,"
                            + " or altered on the way)");

            List<SecAggEncryptedShare> forOther = aggregator.sharesFor(1);
            assertThatThrownBy(() -> parties[1].maskInput(List.of(relayed.get(0)), new int[VALUES]))
                    .hasMessage("a share for party 0 was relayed to party 1");
            int stranger = firstNonNeighbour(2);
            assertThatThrownBy(() -> parties[2].maskInput(List.of(forOther.get(0).toBuilder().setTo(2).setFrom(stranger).build()),
                    new int[VALUES])).hasMessage("a share came from party " + stranger + ", which is not a neighbour with keys");
        }
    }

    @Test
    @DisplayName("round parameters that would weaken the protocol are refused")
    void badParams() {
        byte[] seed = new byte[32];
        assertThatThrownBy(() -> new SecAggParams(seed, 20, 10, 5, 1.0))
                .hasMessage("threshold 5 must be more than half of the 10 neighbours and at most all of them");
        assertThatThrownBy(() -> new SecAggParams(new byte[16], 20, 10, 6, 1.0))
                .hasMessage("the round seed is 16 bytes, not 32");
        assertThatThrownBy(() -> new SecAggParams(seed, 2, 1, 1, 1.0)).hasMessage("a masked round has 3 to 10000 parties, not 2");
        assertThatThrownBy(() -> new SecAggParams(seed, 20, 9, 6, 1.0))
                .hasMessage("neighbours 9 must be even and in 2..19, or 19 (every other party)");
        assertThatThrownBy(() -> new SecAggParams(seed, 20, 10, 6, Double.NaN)).hasMessage("clip range NaN is not in (0, 1000000.0]");
    }
}
