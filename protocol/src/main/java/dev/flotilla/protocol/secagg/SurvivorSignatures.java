package dev.flotilla.protocol.secagg;

import dev.flotilla.protocol.v1.SecAggUnmaskRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * SecAgg+'s consistency check: each survivor signs (Ed25519) the round seed with the survivor and
 * dropped lists, and reveals shares only when at least threshold survivors signed the very lists it
 * signed. An aggregator that told parties different stories (survivor to some, dropped to others, to
 * learn both secrets of one party) is caught here, before any share is revealed.
 */
final class SurvivorSignatures {
    static final int KEY_BYTES = Ed25519.PUBLIC_KEY_SIZE;
    static final int SIGNATURE_BYTES = Ed25519.SIGNATURE_SIZE;
    private static final byte[] DOMAIN = "flotilla secagg+ survivors v1".getBytes(StandardCharsets.US_ASCII);

    private SurvivorSignatures() {
    }

    /** A fresh signing key pair: {private, public}. */
    static byte[][] generate(SecureRandom random) {
        byte[] privateKey = new byte[Ed25519.SECRET_KEY_SIZE];
        Ed25519.generatePrivateKey(random, privateKey);
        byte[] publicKey = new byte[KEY_BYTES];
        Ed25519.generatePublicKey(privateKey, 0, publicKey, 0);
        return new byte[][] {privateKey, publicKey};
    }

    static byte[] sign(byte[] privateKey, byte[] roundSeed, SecAggUnmaskRequest lists) {
        byte[] message = message(roundSeed, lists);
        byte[] signature = new byte[SIGNATURE_BYTES];
        Ed25519.sign(privateKey, 0, message, 0, message.length, signature, 0);
        return signature;
    }

    static boolean verify(byte[] publicKey, byte[] roundSeed, SecAggUnmaskRequest lists, byte[] signature) {
        if (publicKey.length != KEY_BYTES || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        byte[] message = message(roundSeed, lists);
        return Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
    }

    /** What is signed: a domain tag, the round seed and both lists (each with its length), signatures left out. */
    private static byte[] message(byte[] roundSeed, SecAggUnmaskRequest lists) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(DOMAIN);
        out.writeBytes(roundSeed);
        writeList(out, lists.getSurvivorsList());
        writeList(out, lists.getDroppedList());
        return out.toByteArray();
    }

    private static void writeList(ByteArrayOutputStream out, java.util.List<Integer> parties) {
        writeInt(out, parties.size());
        for (int party : parties) {
            writeInt(out, party);
        }
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }
}
