package dev.flotilla.protocol.secagg;

import dev.flotilla.protocol.status.ShareRoutes;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggPublicKeys;
import dev.flotilla.protocol.v1.SecAggRevealedShare;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import dev.flotilla.protocol.v1.SecAggUnmaskResponse;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The aggregator's side of a SecAgg+ round: it relays keys and the sealed shares that did not go over
 * the peer channel, keeps who holds whose shares ({@link ShareHoldings}), folds every masked
 * chunk into one modular sum as it streams (memory O(model), never an individual update), then
 * collects revealed shares, reconstructs the survivors' self-mask seeds and the dropped parties' mask
 * keys, and takes those masks out of the sum. Callers pass the sender of each message from the
 * authenticated connection. Thread-safe; one object per round.
 */
public final class SecAggAggregator {
    private enum Stage { KEYS, SHARES, MASKED_INPUTS, CONSISTENCY, UNMASKING, DONE }

    /** Masked values taken out of a received chunk before they are added (under this object's lock). */
    private final int[] foldBlock = new int[16 * 1024];

    private final SecAggParams params;
    private final NeighbourGraph graph;
    private final int[] sum;
    private final TreeMap<Integer, SecAggPublicKeys> keys = new TreeMap<>();
    private final TreeMap<Integer, List<SecAggEncryptedShare>> sharesTo = new TreeMap<>();
    private final TreeSet<Integer> sharedKeys = new TreeSet<>();
    /** Shares the parties that completed the share round said they delivered over the peer channel. */
    private int deliveredDirectly;
    private final ShareHoldings holdings;
    /** Values folded so far per party that began its masked input; complete when it reaches the model length. */
    private final TreeMap<Integer, Integer> maskedValues = new TreeMap<>();
    private final TreeSet<Integer> survivors = new TreeSet<>();
    private final TreeSet<Integer> dropped = new TreeSet<>();
    private final TreeSet<Integer> answered = new TreeSet<>();
    /** Survivors' valid signatures of the lists, in the consistency check. */
    private final TreeMap<Integer, byte[]> signatures = new TreeMap<>();
    private SecAggUnmaskRequest lists;
    /** Revealed shares: owner -> holder -> share value. */
    private final Map<Integer, TreeMap<Integer, BigInteger>> revealed = new HashMap<>();
    private Stage stage = Stage.KEYS;

    public SecAggAggregator(SecAggParams params, int modelValues) {
        if (modelValues <= 0) {
            throw new IllegalArgumentException("a model has at least one value");
        }
        this.params = params;
        this.graph = params.graph();
        this.holdings = new ShareHoldings(params, graph);
        this.sum = new int[modelValues];
    }

    public SecAggParams params() {
        return params;
    }

    /** {@code party}'s neighbours in the round's graph: whom it shares with (their names go into its assignment). */
    public int[] neighboursOf(int party) {
        params.checkParty(party, "");
        return graph.neighbours(party);
    }

    /** Round 0: a party's public keys. */
    public synchronized void acceptKeys(int from, SecAggPublicKeys advertised) {
        expect(Stage.KEYS, from, "advertise keys");
        params.checkParty(from, "");
        if (advertised.getParty() != from) {
            throw new SecAggException("party " + from + " advertised keys under index " + advertised.getParty());
        }
        if (advertised.getEncryptionKey().size() != KeyAgreement25519.KEY_BYTES
                || advertised.getMaskKey().size() != KeyAgreement25519.KEY_BYTES
                || advertised.getSigningKey().size() != SurvivorSignatures.KEY_BYTES) {
            throw new SecAggException("party " + from + " advertised keys of " + advertised.getEncryptionKey().size()
                    + ", " + advertised.getMaskKey().size() + " and " + advertised.getSigningKey().size()
                    + " bytes; X25519 and Ed25519 public keys are 32 bytes");
        }
        String oversize = advertised.hasBinding() ? RoundKeyBinding.boundsProblem(advertised.getBinding()) : null;
        if (oversize != null) {
            throw new SecAggException("party " + from + ": " + oversize);
        }
        if (keys.putIfAbsent(from, advertised) != null) {
            throw new SecAggException("party " + from + " advertised keys twice");
        }
    }

    /** Ends round 0: the keys are in ({@link #rosterFor} each party's part of them). */
    public synchronized void closeKeys() {
        expect(Stage.KEYS, -1, "close the key round");
        requireAtLeast(keys.size(), "advertised keys");
        stage = Stage.SHARES;
    }

    /**
     * The key roster {@code party} receives: its own keys and those of its neighbours that advertised keys, the only
     * ones it uses (it agrees keys and shares with its neighbours and counts their signatures). Sending every party
     * the whole roster made the aggregator send n^2 keys with their certificate chains a round (~10 MB at 100 parties).
     */
    public synchronized SecAggKeyRoster rosterFor(int party) {
        if (stage == Stage.KEYS) {
            throw new SecAggException("the key round is not closed yet");
        }
        SecAggKeyRoster.Builder roster = SecAggKeyRoster.newBuilder();
        TreeSet<Integer> listed = new TreeSet<>();
        listed.add(party);
        for (int neighbour : graph.neighbours(party)) {
            listed.add(neighbour);
        }
        for (int member : listed) {
            SecAggPublicKeys advertised = keys.get(member);
            if (advertised != null) {
                roster.addKeys(advertised);
            }
        }
        return roster.build();
    }

    /**
     * Round 1: exactly one delivery for every neighbour of the sender that advertised keys: a sealed share to
     * relay, or the neighbour named as having taken it over the peer channel.
     */
    public synchronized void acceptShares(int from, SecAggShareBundle bundle) {
        expect(Stage.SHARES, from, "share keys");
        if (!keys.containsKey(from)) {
            throw new SecAggException("party " + from + " sent shares but advertised no keys");
        }
        if (sharedKeys.contains(from)) {
            throw new SecAggException("party " + from + " sent shares twice");
        }
        TreeSet<Integer> expected = new TreeSet<>();
        for (int neighbour : graph.neighbours(from)) {
            if (keys.containsKey(neighbour)) {
                expected.add(neighbour);
            }
        }
        if (bundle.getSharesCount() + bundle.getDeliveredDirectlyCount() != expected.size()) {
            throw new SecAggException("party " + from + " sent " + bundle.getSharesCount() + " shares"
                    + (bundle.getDeliveredDirectlyCount() > 0 ? " and delivered " + bundle.getDeliveredDirectlyCount()
                    + " over the peer channel" : "") + "; it has " + expected.size() + " neighbours with keys " + expected);
        }
        TreeSet<Integer> recipients = new TreeSet<>();
        for (SecAggEncryptedShare share : bundle.getSharesList()) {
            if (share.getFrom() != from) {
                throw new SecAggException("party " + from + " sent a share marked as from party " + share.getFrom());
            }
            if (!expected.contains(share.getTo())) {
                throw new SecAggException("party " + from + " sent a share for party " + share.getTo()
                        + ", which is not one of its neighbours with keys " + expected);
            }
            if (!recipients.add(share.getTo())) {
                throw new SecAggException("party " + from + " sent two shares for party " + share.getTo());
            }
            if (share.getCiphertext().size() != ShareCipher.CIPHERTEXT_BYTES) {
                throw new SecAggException("party " + from + " sent a share of " + share.getCiphertext().size()
                        + " bytes; a sealed share is " + ShareCipher.CIPHERTEXT_BYTES);
            }
        }
        TreeSet<Integer> direct = new TreeSet<>();
        for (int to : bundle.getDeliveredDirectlyList()) {
            if (!expected.contains(to)) {
                throw new SecAggException("party " + from + " says it delivered shares over the peer channel to party "
                        + to + ", which is not one of its neighbours with keys " + expected);
            }
            if (recipients.contains(to) || !direct.add(to)) {
                throw new SecAggException("party " + from + " delivered shares to party " + to + " twice");
            }
        }
        sharedKeys.add(from);
        holdings.shared(from, recipients, direct);
        for (SecAggEncryptedShare share : bundle.getSharesList()) {
            sharesTo.computeIfAbsent(share.getTo(), to -> new ArrayList<>()).add(share);
        }
        deliveredDirectly += direct.size();
    }

    /** How the shares of the parties that completed the share round travelled. */
    public synchronized ShareRoutes shareRoutes() {
        int relayed = 0;
        for (List<SecAggEncryptedShare> shares : sharesTo.values()) {
            relayed += shares.size();
        }
        return new ShareRoutes(deliveredDirectly, relayed);
    }

    /** Ends round 1. Shares addressed to parties that then sent none themselves are never relayed. */
    public synchronized void closeShares() {
        expect(Stage.SHARES, -1, "close the share round");
        requireAtLeast(sharedKeys.size(), "shared keys");
        stage = Stage.MASKED_INPUTS;
    }

    /**
     * Round 2, at the start of {@code party}'s masked input: its share receipt, the neighbours whose shares
     * reached it over the peer channel ({@link ShareHoldings#receipt}, which says what is refused). A party
     * that sends none holds only what was relayed to it.
     */
    public synchronized void acceptShareReceipt(int party, List<Integer> owners) {
        expect(Stage.MASKED_INPUTS, party, "report its share receipt");
        if (!sharedKeys.contains(party)) {
            throw new SecAggException("party " + party + " reported a share receipt but shared no keys");
        }
        if (maskedValues.containsKey(party)) {
            throw new SecAggException("party " + party + " reported its share receipt after its masked input began");
        }
        holdings.receipt(party, owners);
    }

    /** {@code party}'s neighbours that completed the share round (it takes shares over the peer channel only from these). */
    public synchronized List<Integer> sharedNeighboursOf(int party) {
        if (stage.compareTo(Stage.MASKED_INPUTS) < 0) {
            throw new SecAggException("the parties that shared are known once the share round has closed");
        }
        List<Integer> shared = new ArrayList<>();
        for (int neighbour : graph.neighbours(party)) {
            if (sharedKeys.contains(neighbour)) {
                shared.add(neighbour);
            }
        }
        return shared;
    }

    /** The sealed shares relayed to {@code party} (only those of parties that shared keys, as it was). */
    public synchronized List<SecAggEncryptedShare> sharesFor(int party) {
        if (stage.compareTo(Stage.MASKED_INPUTS) < 0) {
            throw new SecAggException("shares are relayed once the share round has closed");
        }
        if (!sharedKeys.contains(party)) {
            throw new SecAggException("party " + party + " shared no keys, so it takes no part in the masked input");
        }
        return List.copyOf(sharesTo.getOrDefault(party, List.of()));
    }

    /**
     * Round 2: folds the next chunk of {@code from}'s masked input (little-endian 32-bit values,
     * continuing where its previous chunk stopped) into the modular sum.
     */
    public void foldMasked(int from, byte[] chunk) {
        foldMasked(from, ByteBuffer.wrap(chunk));
    }

    /**
     * The same from {@code chunk}'s remaining bytes (its position does not move), read in place: the server passes
     * the received message's bytes without copying them out first.
     */
    public synchronized void foldMasked(int from, ByteBuffer chunk) {
        expect(Stage.MASKED_INPUTS, from, "send masked input");
        if (!sharedKeys.contains(from)) {
            throw new SecAggException("party " + from + " sent a masked input but shared no keys");
        }
        if (chunk.remaining() % 4 != 0) {
            throw new SecAggException("party " + from + " sent a masked chunk of " + chunk.remaining()
                    + " bytes, not a whole number of 32-bit values");
        }
        int start = maskedValues.getOrDefault(from, 0);
        int values = chunk.remaining() / 4;
        if (values > sum.length - start) {
            throw new SecAggException("party " + from + "'s masked input runs past the model's " + sum.length + " values");
        }
        // a bulk copy into ints, then the add: little-endian reads one by one cost more than the copy. The add is at an
        // offset into the sum, which Java 17 does not vectorise (MaskStream avoids that; here it is one add per value
        // of 100 parties a round, ~0.24 ns each, not worth a second copy)
        IntBuffer ints = chunk.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        for (int done = 0; done < values; done += foldBlock.length) {
            int n = Math.min(foldBlock.length, values - done);
            ints.get(done, foldBlock, 0, n);
            int at = start + done;
            for (int i = 0; i < n; i++) {
                sum[at + i] += foldBlock[i];
            }
        }
        maskedValues.put(from, start + values);
    }

    /** Ends round 2: who survived (sent a whole masked input) and who dropped after sharing keys. */
    public synchronized SecAggUnmaskRequest closeInputs() {
        expect(Stage.MASKED_INPUTS, -1, "close the masked input round");
        maskedValues.forEach((party, values) -> {
            if (values != sum.length) {
                stage = Stage.DONE;
                throw new SecAggException("the round fails: party " + party + "'s masked input stopped after " + values
                        + " of " + sum.length + " values, and a partial masked input cannot be taken out of the modular sum");
            }
        });
        survivors.addAll(maskedValues.keySet());
        dropped.addAll(sharedKeys);
        dropped.removeAll(survivors);
        if (survivors.size() < params.threshold()) {
            stage = Stage.DONE;
            throw new SecAggException("the round fails: " + survivors.size() + " of " + params.rosterSize()
                    + " parties sent masked inputs, fewer than the threshold " + params.threshold());
        }
        try {
            holdings.checkRecoverable(survivors, dropped);
        } catch (SecAggException e) {
            stage = Stage.DONE;
            throw e;
        }
        stage = Stage.CONSISTENCY;
        lists = SecAggUnmaskRequest.newBuilder().addAllSurvivors(survivors).addAllDropped(dropped).build();
        return lists;
    }

    /** Round 3, the consistency check: a survivor's signature of the lists, kept only if it verifies. */
    public synchronized void acceptSignature(int from, byte[] signature) {
        expect(Stage.CONSISTENCY, from, "sign the survivor list");
        if (!survivors.contains(from)) {
            throw new SecAggException("party " + from + " signed the survivor list but is not a survivor");
        }
        if (signatures.containsKey(from)) {
            throw new SecAggException("party " + from + " signed the survivor list twice");
        }
        if (!SurvivorSignatures.verify(keys.get(from).getSigningKey().toByteArray(), params.roundSeed(), lists, signature)) {
            throw new SecAggException("party " + from + "'s signature of the survivor list does not verify with the key it"
                    + " advertised");
        }
        signatures.put(from, signature.clone());
    }

    /** Ends round 3: the lists with every signature, for the survivors that signed; at least threshold of them. */
    public synchronized SecAggUnmaskRequest closeConsistency() {
        expect(Stage.CONSISTENCY, -1, "close the consistency check");
        requireAtLeast(signatures.size(), "signed the survivor list");
        stage = Stage.UNMASKING;
        SecAggUnmaskRequest.Builder signed = lists.toBuilder();
        signatures.forEach((party, signature) -> signed.addSignatures(dev.flotilla.protocol.v1.SecAggSignature.newBuilder()
                .setParty(party).setSignature(com.google.protobuf.ByteString.copyFrom(signature))));
        return signed.build();
    }

    /** The survivors whose signatures were accepted (only they are asked to reveal shares). */
    public synchronized List<Integer> signers() {
        return List.copyOf(signatures.keySet());
    }

    /**
     * Round 3: a survivor's revealed shares, each of a neighbour that shared keys with it, of the kind
     * the request asked for. A response with both kinds of share of one party is refused whole.
     */
    public synchronized void acceptUnmask(int from, SecAggUnmaskResponse response) {
        expect(Stage.UNMASKING, from, "reveal shares");
        if (!signatures.containsKey(from)) {
            throw new SecAggException("party " + from + " revealed shares but did not sign the survivor list");
        }
        if (answered.contains(from)) {
            throw new SecAggException("party " + from + " revealed shares twice");
        }
        if (response.getSharesCount() > params.neighbours()) {
            throw new SecAggException("party " + from + " revealed " + response.getSharesCount() + " shares; it has "
                    + params.neighbours() + " neighbours");
        }
        Map<Integer, BigInteger> checked = new HashMap<>();
        Map<Integer, SecAggRevealedShare.Kind> kinds = new HashMap<>();
        for (SecAggRevealedShare share : response.getSharesList()) {
            int owner = share.getOwner();
            params.checkParty(owner, "party " + from + " revealed a share of it");
            SecAggRevealedShare.Kind earlier = kinds.put(owner, share.getKind());
            if (earlier != null && earlier != share.getKind()) {
                throw new SecAggException("party " + from + " revealed both the self-mask seed share and the mask key share"
                        + " of party " + owner + "; refused, together they would unmask party " + owner + "'s update");
            }
            if (earlier != null) {
                throw new SecAggException("party " + from + " revealed two shares of party " + owner);
            }
            if (!graph.adjacent(from, owner) || !sharedKeys.contains(owner)) {
                throw new SecAggException("party " + from + " revealed a share of party " + owner
                        + ", which shared no keys with it");
            }
            if (!holdings.holds(from, owner)) {
                throw new SecAggException("party " + from + " revealed a share of party " + owner + ", whose shares"
                        + " it does not hold (neither relayed to it nor in its share receipt)");
            }
            SecAggRevealedShare.Kind wanted = survivors.contains(owner)
                    ? SecAggRevealedShare.Kind.SELF_MASK_SEED : SecAggRevealedShare.Kind.MASK_KEY;
            if (share.getKind() != wanted) {
                throw new SecAggException("party " + from + " revealed a " + share.getKind() + " share of party " + owner
                        + ", which " + (survivors.contains(owner) ? "survived" : "dropped") + " (wanted " + wanted + ")");
            }
            checked.put(owner, Shamir.fromBytes(share.getValue().toByteArray(),
                    "party " + from + "'s share of party " + owner));
        }
        answered.add(from);
        checked.forEach((owner, value) -> revealed.computeIfAbsent(owner, o -> new TreeMap<>()).put(from, value));
    }

    /**
     * Ends the round: the sum of the survivors' encoded updates modulo 2^32. Fails, naming the party,
     * when fewer than the threshold of shares arrived for a secret.
     */
    public synchronized int[] unmaskedSum() {
        expect(Stage.UNMASKING, -1, "unmask the sum");
        stage = Stage.DONE;
        // every mask to take out, expanded in one pass over the sum
        List<MaskStream.Term> masks = new ArrayList<>();
        for (int party : dropped) {
            byte[] maskKey = reconstruct(party, "mask key");
            byte[] publicKey = new byte[KeyAgreement25519.KEY_BYTES];
            X25519.generatePublicKey(maskKey, 0, publicKey, 0);
            if (!Arrays.equals(publicKey, keys.get(party).getMaskKey().toByteArray())) {
                throw new SecAggException("the round fails: the revealed shares of dropped party " + party
                        + "'s mask key do not give the key it advertised");
            }
            for (int neighbour : graph.neighbours(party)) {
                // a survivor added the pairwise mask of a neighbour exactly when it held that neighbour's shares
                if (survivors.contains(neighbour) && holdings.holds(neighbour, party)) {
                    byte[] seed = KeyAgreement25519.derive(maskKey, keys.get(neighbour).getMaskKey().toByteArray(),
                            params.roundSeed(), SecAggParty.MASK_KEY, party, neighbour);
                    masks.add(new MaskStream.Term(seed, -SecAggParty.pairwiseSign(neighbour, party)));
                }
            }
        }
        for (int party : survivors) {
            masks.add(new MaskStream.Term(reconstruct(party, "self-mask seed"), -1));
        }
        MaskStream.applyAll(masks, sum);
        return sum;
    }

    public synchronized List<Integer> survivors() {
        return List.copyOf(survivors);
    }

    public synchronized List<Integer> dropped() {
        return List.copyOf(dropped);
    }

    private byte[] reconstruct(int owner, String secret) {
        TreeMap<Integer, BigInteger> shares = revealed.getOrDefault(owner, new TreeMap<>());
        if (shares.size() < params.threshold()) {
            throw new SecAggException("the round fails: " + shares.size() + " shares of party " + owner + "'s " + secret
                    + " were revealed, fewer than the threshold " + params.threshold() + " (too many of its neighbours dropped)");
        }
        List<Map.Entry<Integer, BigInteger>> all = new ArrayList<>(shares.entrySet());
        byte[] secretFromFirst = combine(all.subList(0, params.threshold()), owner, secret);
        // with more than t shares, a second interpolation over another subset catches a corrupted share
        if (all.size() > params.threshold()
                && !Arrays.equals(secretFromFirst, combine(all.subList(all.size() - params.threshold(), all.size()), owner, secret))) {
            throw new SecAggException("the round fails: the revealed shares of party " + owner + "'s " + secret
                    + " disagree (a neighbour revealed a wrong share)");
        }
        return secretFromFirst;
    }

    private static byte[] combine(List<Map.Entry<Integer, BigInteger>> shares, int owner, String secret) {
        int[] holders = shares.stream().mapToInt(Map.Entry::getKey).toArray();
        BigInteger[] values = shares.stream().map(Map.Entry::getValue).toArray(BigInteger[]::new);
        try {
            return Shamir.combine(holders, values);
        } catch (SecAggException e) {
            throw new SecAggException("the round fails: the revealed shares of party " + owner + "'s " + secret
                    + " disagree (a neighbour revealed a wrong share)");
        }
    }

    private void requireAtLeast(int parties, String what) {
        if (parties < params.threshold()) {
            stage = Stage.DONE;
            throw new SecAggException("the round fails: " + parties + " of " + params.rosterSize() + " parties " + what
                    + ", fewer than the threshold " + params.threshold());
        }
    }

    private void expect(Stage expected, int from, String action) {
        if (stage != expected) {
            throw new SecAggException((from >= 0 ? "party " + from + " cannot " : "cannot ") + action
                    + " now: the round is at " + stage);
        }
    }
}
