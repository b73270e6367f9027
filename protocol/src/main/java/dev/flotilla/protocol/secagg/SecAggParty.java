package dev.flotilla.protocol.secagg;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.secagg.KeyAgreement25519.KeyPair;
import dev.flotilla.protocol.secagg.ShareCipher.Shares;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggPublicKeys;
import dev.flotilla.protocol.v1.SecAggRevealedShare;
import dev.flotilla.protocol.v1.SecAggShareBundle;
import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import dev.flotilla.protocol.v1.SecAggUnmaskResponse;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * One party's side of a SecAgg+ round, in the order the rounds run: advertise two public keys, share
 * the self-mask seed and the mask key with its neighbours, mask its encoded update, reveal shares for
 * the unmasking. Every message from the aggregator is checked before the party acts on it, and the
 * party never reveals both secrets of one neighbour. Single use: one object per round.
 */
public final class SecAggParty {
    private enum Stage { NEW, KEYS_ADVERTISED, SHARES_SENT, INPUT_MASKED, SIGNED, UNMASKED }

    static final String SHARE_KEY = "share encryption";
    static final String MASK_KEY = "pairwise mask";

    private final SecAggParams params;
    private final int self;
    private final SecureRandom random;
    private final NeighbourGraph graph;
    private final KeyPair encryptionKeys;
    private final KeyPair maskKeys;
    /** Ed25519 {private, public}: signs the survivor list of the consistency check. */
    private final byte[][] signingKeys;
    /**
     * This party's and its neighbours' signing keys, from the key roster: the consistency check counts their
     * signatures only, as in Bell et al.'s SecAgg+ (a party checks the bindings of its neighbours' keys only).
     */
    private final TreeMap<Integer, byte[]> signingKeysOf = new TreeMap<>();
    /** The lists this party signed in the consistency check. */
    private SecAggUnmaskRequest signedLists;
    private final byte[] selfMaskSeed = new byte[Shamir.SECRET_BYTES];
    /** Per neighbour that advertised keys: the share encryption key and the pairwise mask seed. */
    private final TreeMap<Integer, byte[]> shareKeys = new TreeMap<>();
    private final TreeMap<Integer, byte[]> maskSeeds = new TreeMap<>();
    /** Shares of neighbours' secrets, for the neighbours whose shares arrived. */
    private final TreeMap<Integer, Shares> heldShares = new TreeMap<>();
    private Stage stage = Stage.NEW;
    /** Survivors below which this party signs no list: the distributed-DP noise shares were sized for that many. */
    private int minSurvivors;

    public SecAggParty(SecAggParams params, int self, SecureRandom random) {
        params.checkParty(self, "");
        this.params = params;
        this.self = self;
        this.random = random;
        this.graph = params.graph();
        this.encryptionKeys = KeyPair.generate(random);
        this.maskKeys = KeyPair.generate(random);
        this.signingKeys = SurvivorSignatures.generate(random);
        random.nextBytes(selfMaskSeed);
    }

    /**
     * With distributed DP noise: sign no survivor list shorter than {@code survivors}, so that no sum with
     * less than the calibrated noise is ever unmasked.
     */
    public void requireSurvivors(int survivors) {
        minSurvivors = survivors;
    }

    public int[] neighbours() {
        return graph.neighbours(self);
    }

    public SecAggPublicKeys advertiseKeys() {
        advance(Stage.NEW, Stage.KEYS_ADVERTISED, "advertise its keys");
        return ownKeys();
    }

    /** Round 1: the sealed shares for each neighbour on the roster. */
    public SecAggShareBundle shareKeys(SecAggKeyRoster roster) {
        advance(Stage.KEYS_ADVERTISED, Stage.SHARES_SENT, "share its keys");
        if (roster.getKeysCount() > params.rosterSize()) {
            throw new SecAggException("the key roster has " + roster.getKeysCount() + " entries for a roster of "
                    + params.rosterSize());
        }
        Set<Integer> seen = new HashSet<>();
        boolean ownKeysListed = false;
        for (SecAggPublicKeys keys : roster.getKeysList()) {
            int party = keys.getParty();
            params.checkParty(party, "named in the key roster");
            if (!seen.add(party)) {
                throw new SecAggException("the key roster lists party " + party + " twice");
            }
            if (party == self || graph.adjacent(self, party)) {
                signingKeysOf.put(party, keys.getSigningKey().toByteArray());
            }
            if (party == self) {
                if (!keys.equals(ownKeys())) {
                    throw new SecAggException("the key roster carries other keys for this party (" + self + ") than it advertised");
                }
                ownKeysListed = true;
            } else if (graph.adjacent(self, party)) {
                byte[] roundSeed = params.roundSeed();
                shareKeys.put(party, KeyAgreement25519.derive(encryptionKeys.privateKey(),
                        keys.getEncryptionKey().toByteArray(), roundSeed, SHARE_KEY, self, party));
                maskSeeds.put(party, KeyAgreement25519.derive(maskKeys.privateKey(),
                        keys.getMaskKey().toByteArray(), roundSeed, MASK_KEY, self, party));
            }
        }
        if (!ownKeysListed) {
            throw new SecAggException("the key roster does not list this party (" + self + ")");
        }
        if (shareKeys.size() < params.threshold()) {
            throw new SecAggException("only " + shareKeys.size() + " of this party's " + params.neighbours()
                    + " neighbours advertised keys; " + params.threshold() + " are needed to recover its secrets");
        }
        int[] holders = shareKeys.keySet().stream().mapToInt(Integer::intValue).toArray();
        BigInteger[] seedShares = Shamir.split(selfMaskSeed, params.threshold(), holders, random);
        BigInteger[] keyShares = Shamir.split(maskKeys.privateKey(), params.threshold(), holders, random);
        SecAggShareBundle.Builder bundle = SecAggShareBundle.newBuilder();
        for (int h = 0; h < holders.length; h++) {
            byte[] sealed = ShareCipher.seal(shareKeys.get(holders[h]), params.roundSeed(), self, holders[h],
                    new Shares(seedShares[h], keyShares[h]), random);
            bundle.addShares(SecAggEncryptedShare.newBuilder().setFrom(self).setTo(holders[h])
                    .setCiphertext(ByteString.copyFrom(sealed)));
        }
        return bundle.build();
    }

    /**
     * Round 2: opens the shares relayed to this party and masks {@code encoded} in place with the
     * self-mask and a pairwise mask for every neighbour whose shares arrived.
     */
    public void maskInput(List<SecAggEncryptedShare> received, int[] encoded) {
        advance(Stage.SHARES_SENT, Stage.INPUT_MASKED, "mask its input");
        if (received.size() > shareKeys.size()) {
            throw new SecAggException(received.size() + " shares were relayed to this party, which has "
                    + shareKeys.size() + " neighbours with keys");
        }
        for (SecAggEncryptedShare share : received) {
            int from = share.getFrom();
            if (share.getTo() != self) {
                throw new SecAggException("a share for party " + share.getTo() + " was relayed to party " + self);
            }
            byte[] key = shareKeys.get(from);
            if (key == null) {
                throw new SecAggException("a share came from party " + from + ", which is not a neighbour with keys");
            }
            if (heldShares.containsKey(from)) {
                throw new SecAggException("two shares came from party " + from);
            }
            heldShares.put(from, ShareCipher.open(key, params.roundSeed(), from, self, share.getCiphertext().toByteArray()));
        }
        if (heldShares.size() < params.threshold()) {
            throw new SecAggException("only " + heldShares.size() + " neighbours' shares arrived; "
                    + params.threshold() + " are needed");
        }
        List<MaskStream.Term> masks = new ArrayList<>();
        masks.add(new MaskStream.Term(selfMaskSeed, +1));
        for (int neighbour : heldShares.keySet()) {
            masks.add(new MaskStream.Term(maskSeeds.get(neighbour), pairwiseSign(self, neighbour)));
        }
        MaskStream.applyAll(masks, encoded);
    }

    /**
     * Round 3, the consistency check: this party's signature of the survivor and dropped lists. Lists
     * that name a party as both, leave this party out, or hold fewer than threshold survivors are
     * refused: answering them could let the aggregator remove some party's every mask.
     */
    public byte[] signSurvivors(SecAggUnmaskRequest request) {
        advance(Stage.INPUT_MASKED, Stage.SIGNED, "sign the survivor list");
        SecAggUnmaskRequest lists = SecAggUnmaskRequest.newBuilder().addAllSurvivors(request.getSurvivorsList())
                .addAllDropped(request.getDroppedList()).build();
        checkLists(lists);
        signedLists = lists;
        return SurvivorSignatures.sign(signingKeys[0], params.roundSeed(), lists);
    }

    /**
     * Round 4: the self-mask seed shares of the neighbours that survived and the mask key shares of
     * those that dropped, given only when the request carries the lists this party signed and at least
     * threshold valid signatures of them by distinct survivors among this party and its neighbours (another
     * party's signature is not counted: its key is its own neighbours' to check).
     */
    public SecAggUnmaskResponse unmask(SecAggUnmaskRequest request) {
        advance(Stage.SIGNED, Stage.UNMASKED, "reveal shares");
        if (!request.getSurvivorsList().equals(signedLists.getSurvivorsList())
                || !request.getDroppedList().equals(signedLists.getDroppedList())) {
            throw new SecAggException("the unmask request's survivor and dropped lists differ from the ones this party ("
                    + self + ") signed in the consistency check; no share is revealed");
        }
        if (request.getSignaturesCount() > params.rosterSize()) {
            throw new SecAggException("the unmask request carries " + request.getSignaturesCount()
                    + " signatures for a roster of " + params.rosterSize());
        }
        Set<Integer> survivors = new HashSet<>(signedLists.getSurvivorsList());
        Set<Integer> signers = new HashSet<>();
        for (var signature : request.getSignaturesList()) {
            int signer = signature.getParty();
            if (signer != self && !graph.adjacent(self, signer)) {
                continue; // not a neighbour: its keys are its own neighbours' to check, and its signature counts there
            }
            byte[] key = signingKeysOf.get(signer);
            if (!survivors.contains(signer) || key == null) {
                throw new SecAggException("the unmask request carries a signature of party " + signer
                        + ", which is not a survivor with keys");
            }
            if (!signers.add(signer)) {
                throw new SecAggException("the unmask request carries two signatures of party " + signer);
            }
            if (!SurvivorSignatures.verify(key, params.roundSeed(), signedLists, signature.getSignature().toByteArray())) {
                throw new SecAggException("party " + signer + "'s signature of the survivor list does not verify: it"
                        + " signed other lists, or the aggregator altered them; no share is revealed");
            }
        }
        if (signers.size() < params.threshold()) {
            throw new SecAggException("only " + signers.size() + " survivors among this party and its neighbours signed"
                    + " the survivor list; " + params.threshold() + " are needed before any share is revealed");
        }
        Set<Integer> dropped = new HashSet<>(signedLists.getDroppedList());
        SecAggUnmaskResponse.Builder response = SecAggUnmaskResponse.newBuilder();
        heldShares.forEach((owner, shares) -> {
            if (survivors.contains(owner)) {
                response.addShares(revealed(owner, SecAggRevealedShare.Kind.SELF_MASK_SEED, shares.selfMaskSeed()));
            } else if (dropped.contains(owner)) {
                response.addShares(revealed(owner, SecAggRevealedShare.Kind.MASK_KEY, shares.maskKey()));
            }
        });
        return response.build();
    }

    private void checkLists(SecAggUnmaskRequest request) {
        Set<Integer> survivors = distinctParties(request.getSurvivorsList(), "survivor");
        Set<Integer> dropped = distinctParties(request.getDroppedList(), "dropped party");
        for (int party : dropped) {
            if (survivors.contains(party)) {
                throw new SecAggException("party " + party + " is listed both as a survivor and as dropped; revealing"
                        + " both of its secrets would unmask its update");
            }
        }
        if (!survivors.contains(self)) {
            throw new SecAggException("this party (" + self + ") sent its masked input but is not listed as a survivor");
        }
        if (survivors.size() < params.threshold()) {
            throw new SecAggException("only " + survivors.size() + " survivors; at least " + params.threshold()
                    + " are needed before any share is revealed");
        }
        if (survivors.size() < minSurvivors) {
            throw new SecAggException("only " + survivors.size() + " survivors; the distributed noise shares were sized"
                    + " for at least " + minSurvivors + ", so fewer would unmask a sum with less than the calibrated"
                    + " noise; this party signs no such list");
        }
    }

    /** The lower-numbered party of a pair adds their mask, the other subtracts it, so it cancels in the sum. */
    static int pairwiseSign(int party, int peer) {
        return party < peer ? +1 : -1;
    }

    private Set<Integer> distinctParties(List<Integer> parties, String what) {
        if (parties.size() > params.rosterSize()) {
            throw new SecAggException("the unmask request lists " + parties.size() + " " + what + "s for a roster of "
                    + params.rosterSize());
        }
        Set<Integer> distinct = new HashSet<>();
        for (int party : parties) {
            params.checkParty(party, "named as " + what + " in the unmask request");
            if (!distinct.add(party)) {
                throw new SecAggException("the unmask request lists " + what + " " + party + " twice");
            }
        }
        return distinct;
    }

    private static SecAggRevealedShare revealed(int owner, SecAggRevealedShare.Kind kind, BigInteger value) {
        return SecAggRevealedShare.newBuilder().setOwner(owner).setKind(kind)
                .setValue(ByteString.copyFrom(Shamir.toBytes(value))).build();
    }

    private SecAggPublicKeys ownKeys() {
        return SecAggPublicKeys.newBuilder().setParty(self)
                .setEncryptionKey(ByteString.copyFrom(encryptionKeys.publicKey()))
                .setMaskKey(ByteString.copyFrom(maskKeys.publicKey()))
                .setSigningKey(ByteString.copyFrom(signingKeys[1])).build();
    }

    private void advance(Stage expected, Stage next, String action) {
        if (stage != expected) {
            throw new SecAggException("party " + self + " cannot " + action + " at stage " + stage
                    + " (expected " + expected + ")");
        }
        stage = next;
    }

    @Override
    public String toString() {
        return "SecAggParty[" + self + ", neighbours " + Arrays.toString(neighbours()) + ", " + stage + "]";
    }
}
