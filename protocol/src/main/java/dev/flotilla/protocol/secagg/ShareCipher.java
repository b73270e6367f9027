package dev.flotilla.protocol.secagg;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two shares one party sends another, sealed with AES-256-GCM under their agreed key, so the
 * aggregator that relays them learns nothing. The round seed and both parties are authenticated data:
 * a share cannot be replayed into another round or redirected to another party.
 */
final class ShareCipher {
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    static final int CIPHERTEXT_BYTES = NONCE_BYTES + 2 * Shamir.SHARE_BYTES + TAG_BITS / 8;

    private ShareCipher() {
    }

    record Shares(BigInteger selfMaskSeed, BigInteger maskKey) {
    }

    static byte[] seal(byte[] key, byte[] roundSeed, int from, int to, Shares shares, SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        ByteBuffer sealed = ByteBuffer.allocate(CIPHERTEXT_BYTES).put(nonce);
        try {
            Cipher gcm = cipher(Cipher.ENCRYPT_MODE, key, nonce, roundSeed, from, to);
            byte[] plain = ByteBuffer.allocate(2 * Shamir.SHARE_BYTES).put(Shamir.toBytes(shares.selfMaskSeed))
                    .put(Shamir.toBytes(shares.maskKey)).array();
            sealed.put(gcm.doFinal(plain));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM", e);
        }
        return sealed.array();
    }

    static Shares open(byte[] key, byte[] roundSeed, int from, int to, byte[] sealed) {
        if (sealed.length != CIPHERTEXT_BYTES) {
            throw new SecAggException("the shares from party " + from + " are " + sealed.length + " bytes, not "
                    + CIPHERTEXT_BYTES);
        }
        byte[] plain;
        try {
            Cipher gcm = cipher(Cipher.DECRYPT_MODE, key, Arrays.copyOf(sealed, NONCE_BYTES), roundSeed, from, to);
            plain = gcm.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new SecAggException("the shares from party " + from + " do not authenticate (wrong key, round or"
                    + " recipient, or altered on the way)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM", e);
        }
        return new Shares(
                Shamir.fromBytes(Arrays.copyOfRange(plain, 0, Shamir.SHARE_BYTES), "a self-mask seed share"),
                Shamir.fromBytes(Arrays.copyOfRange(plain, Shamir.SHARE_BYTES, plain.length), "a mask key share"));
    }

    private static Cipher cipher(int mode, byte[] key, byte[] nonce, byte[] roundSeed, int from, int to)
            throws GeneralSecurityException {
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        gcm.updateAAD(ByteBuffer.allocate(roundSeed.length + 8).put(roundSeed).putInt(from).putInt(to).array());
        return gcm;
    }
}
