package dev.flotilla.protocol.secagg;

import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MaskStream}'s add with the Vector API: the keystream's little-endian bytes are loaded as int vectors
 * and added straight to the sum, without first copying them into an int array (that copy cost as much as the
 * add). Loaded only in a JVM started with {@code --add-modules jdk.incubator.vector} (the launchers pass it);
 * elsewhere MaskStream copies and adds with plain loops, to the same result.
 */
final class VectorMaskAdd {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

    private VectorMaskAdd() {
    }

    /** sum[..values) += sign x the little-endian ints of keystream[..4 x values), modulo 2^32. */
    static void add(byte[] keystream, int sign, int[] sum, int values) {
        int step = INTS.length();
        int i = 0;
        if (sign > 0) {
            for (int bound = values - step; i <= bound; i += step) {
                IntVector.fromArray(INTS, sum, i)
                        .add(IntVector.fromByteArray(INTS, keystream, i * 4, ByteOrder.LITTLE_ENDIAN))
                        .intoArray(sum, i);
            }
        } else {
            for (int bound = values - step; i <= bound; i += step) {
                IntVector.fromArray(INTS, sum, i)
                        .sub(IntVector.fromByteArray(INTS, keystream, i * 4, ByteOrder.LITTLE_ENDIAN))
                        .intoArray(sum, i);
            }
        }
        for (; i < values; i++) {
            sum[i] += sign * littleEndianInt(keystream, i * 4);
        }
    }

    private static int littleEndianInt(byte[] bytes, int at) {
        return (bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8 | (bytes[at + 2] & 0xff) << 16 | bytes[at + 3] << 24;
    }
}
