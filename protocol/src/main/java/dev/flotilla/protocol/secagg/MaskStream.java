package dev.flotilla.protocol.secagg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** A mask: the ChaCha20 (RFC 8439) keystream of a 32-byte seed read as little-endian 32-bit integers. */
final class MaskStream {
    private static final int BLOCK_BYTES = 64 * 1024;
    private static final VarHandle LITTLE_ENDIAN_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private MaskStream() {
    }

    /** target[i] += sign x mask[i] modulo 2^32, for sign +1 or -1. */
    static void apply(byte[] seed, int sign, int[] target) {
        if (seed.length != 32) {
            throw new IllegalArgumentException("a mask seed is 32 bytes, not " + seed.length);
        }
        Cipher chacha = keystream(seed);
        byte[] zeros = new byte[BLOCK_BYTES];
        byte[] block = new byte[BLOCK_BYTES];
        for (int start = 0; start < target.length; start += BLOCK_BYTES / 4) {
            int values = Math.min(BLOCK_BYTES / 4, target.length - start);
            try {
                chacha.update(zeros, 0, values * 4, block, 0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20 keystream", e);
            }
            if (sign > 0) {
                for (int i = 0; i < values; i++) {
                    target[start + i] += (int) LITTLE_ENDIAN_INT.get(block, i * 4);
                }
            } else {
                for (int i = 0; i < values; i++) {
                    target[start + i] -= (int) LITTLE_ENDIAN_INT.get(block, i * 4);
                }
            }
        }
    }

    /** Each seed is used for one mask only (it is derived per round and per pair), so the nonce is fixed. */
    static Cipher keystream(byte[] seed) {
        try {
            Cipher chacha = Cipher.getInstance("ChaCha20");
            chacha.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "ChaCha20"), new ChaCha20ParameterSpec(new byte[12], 0));
            return chacha;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20 is part of every Java 11+ runtime", e);
        }
    }
}
