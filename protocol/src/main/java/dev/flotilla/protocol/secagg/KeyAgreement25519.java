package dev.flotilla.protocol.secagg;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 (RFC 7748) on raw 32-byte keys, and HKDF-SHA256 (RFC 5869) of the shared secret: raw keys
 * are what the wire carries and what Shamir shares.
 */
final class KeyAgreement25519 {
    static final int KEY_BYTES = X25519.SCALAR_SIZE;

    private KeyAgreement25519() {
    }

    record KeyPair(byte[] privateKey, byte[] publicKey) {
        static KeyPair generate(SecureRandom random) {
            byte[] privateKey = new byte[KEY_BYTES];
            X25519.generatePrivateKey(random, privateKey);
            byte[] publicKey = new byte[KEY_BYTES];
            X25519.generatePublicKey(privateKey, 0, publicKey, 0);
            return new KeyPair(privateKey, publicKey);
        }
    }

    /**
     * A 32-byte key for {@code purpose} between parties {@code a} and {@code b} (in either order) of the
     * round salted by {@code roundSeed}. A public key of small order (the agreement is all zeros) is refused.
     */
    static byte[] derive(byte[] privateKey, byte[] peerPublicKey, byte[] roundSeed, String purpose, int a, int b) {
        if (peerPublicKey.length != KEY_BYTES) {
            throw new SecAggException("a public key is " + KEY_BYTES + " bytes, not " + peerPublicKey.length);
        }
        byte[] shared = new byte[KEY_BYTES];
        if (!X25519.calculateAgreement(privateKey, 0, peerPublicKey, 0, shared, 0)) {
            throw new SecAggException("a public key of parties " + Math.min(a, b) + " and " + Math.max(a, b)
                    + " is a point of small order (the agreement would be all zeros)");
        }
        return hkdf(shared, roundSeed, purpose + " " + Math.min(a, b) + " " + Math.max(a, b));
    }

    static byte[] hkdf(byte[] secret, byte[] salt, String info) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(secret, salt, ("flotilla secagg+ " + info).getBytes(StandardCharsets.UTF_8)));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return key;
    }
}
