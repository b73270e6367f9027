package dev.flotilla.protocol.secagg;

import dev.flotilla.protocol.tensor.FloatKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.stream.IntStream;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A mask: the AES-256-CTR keystream (NIST SP 800-38A, initial counter block zero) of a 32-byte seed
 * read as little-endian 32-bit integers. Since {@code secagg+/2}; {@code secagg+/1} used ChaCha20,
 * which has no HotSpot intrinsic before Java 20 while AES-CTR runs on AES-NI (8-10x faster here,
 * {@code bench mask-prg}).
 */
final class MaskStream {
    /** Keystream bytes made per cipher call (a multiple of the AES block). */
    private static final int BLOCK_BYTES = 64 * 1024;
    private static final int BLOCK_VALUES = BLOCK_BYTES / 4;
    /** Values per range that one thread unmasks in one pass; a multiple of 4 (one AES block). */
    private static final int RANGE_VALUES = 256 * 1024;
    private static final int AES_BLOCK = 16;

    /** One mask to add: {@code sign} (+1 or -1) times the keystream of {@code seed}. */
    record Term(byte[] seed, int sign) {
        Term {
            if (seed.length != 32) {
                throw new IllegalArgumentException("a mask seed is 32 bytes, not " + seed.length);
            }
            if (sign != 1 && sign != -1) {
                throw new IllegalArgumentException("a mask is added or subtracted, not multiplied by " + sign);
            }
        }
    }

    private MaskStream() {
    }

    /** target[i] += sign x mask[i] modulo 2^32, for sign +1 or -1. */
    static void apply(byte[] seed, int sign, int[] target) {
        applyAll(List.of(new Term(seed, sign)), target);
    }

    /**
     * Adds every term's mask to {@code target} modulo 2^32 in one pass: the target is cut into ranges
     * (in parallel on the common pool); a range keeps one keystream per term, started at its counter
     * block, and walks its values a block at a time, adding every term's keystream to a block while it
     * is in cache.
     */
    static void applyAll(List<Term> terms, int[] target) {
        if (terms.isEmpty()) {
            return;
        }
        int ranges = (target.length + RANGE_VALUES - 1) / RANGE_VALUES;
        IntStream.range(0, ranges).parallel().forEach(r -> {
            int from = r * RANGE_VALUES;
            applyRange(terms, target, from, Math.min(target.length, from + RANGE_VALUES));
        });
    }

    /**
     * target[from..to) += every term's mask there. Each block is copied into an array of its own, the masks
     * are added to it there and it is copied back: a loop adding two arrays at the same index vectorises on
     * Java 17 (0.07 ns a value), one that adds at an offset into the target does not (0.24 ns), and the
     * copies cost less than one add of the 15 or so a party makes.
     */
    private static void applyRange(List<Term> terms, int[] target, int from, int to) {
        byte[] zeros = new byte[BLOCK_BYTES];
        byte[] block = new byte[BLOCK_BYTES];
        int[] words = new int[BLOCK_VALUES];
        int[] sum = new int[BLOCK_VALUES];
        IntBuffer keystreamWords = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        Cipher[] keystreams = new Cipher[terms.size()];
        for (int t = 0; t < keystreams.length; t++) {
            keystreams[t] = keystream(terms.get(t).seed(), (long) from * 4 / AES_BLOCK);
        }
        for (int start = from; start < to; start += BLOCK_VALUES) {
            int values = Math.min(BLOCK_VALUES, to - start);
            System.arraycopy(target, start, sum, 0, values);
            for (int t = 0; t < keystreams.length; t++) {
                try {
                    keystreams[t].update(zeros, 0, values * 4, block, 0);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("AES-CTR keystream", e);
                }
                if (FloatKernels.VECTOR_API) {
                    VectorMaskAdd.add(block, terms.get(t).sign(), sum, values);
                } else {
                    keystreamWords.get(0, words, 0, values);
                    add(words, terms.get(t).sign(), sum, values);
                }
            }
            System.arraycopy(sum, 0, target, start, values);
        }
    }

    /**
     * sum[..values) += sign x words[..values). The keystream's bytes are read as ints in one bulk copy first
     * (a copy of memory on a little-endian machine): a loop of little-endian reads from the byte array does
     * not vectorise and cost more than the AES-CTR keystream itself; this loop over two int arrays does.
     */
    static void add(int[] words, int sign, int[] sum, int values) {
        if (sign > 0) {
            for (int i = 0; i < values; i++) {
                sum[i] += words[i];
            }
        } else {
            for (int i = 0; i < values; i++) {
                sum[i] -= words[i];
            }
        }
    }

    /** Each seed is used for one mask only (it is derived per round and per pair), so the counter starts at zero. */
    static Cipher keystream(byte[] seed) {
        return keystream(seed, 0);
    }

    /** The keystream of {@code seed} from AES block {@code blockIndex} on (the counter block, big-endian). */
    private static Cipher keystream(byte[] seed, long blockIndex) {
        byte[] counter = new byte[AES_BLOCK];
        for (int i = 0; i < 8; i++) {
            counter[AES_BLOCK - 1 - i] = (byte) (blockIndex >>> (8 * i));
        }
        try {
            Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(counter));
            return aes;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR/NoPadding is part of every Java runtime", e);
        }
    }
}
