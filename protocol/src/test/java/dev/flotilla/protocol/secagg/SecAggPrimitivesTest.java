package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecAggPrimitivesTest {
    private final SecureRandom random = SecAggSimulation.seeded(42);

    @Test
    @DisplayName("Shamir: any t of the k shares give the secret back; t - 1 shares give something else")
    void shamirThreshold() {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        int[] holders = {3, 9, 14, 27, 40, 41};
        BigInteger[] shares = Shamir.split(secret, 4, holders, random);

        assertThat(Shamir.combine(new int[] {3, 9, 14, 27}, Arrays.copyOfRange(shares, 0, 4))).isEqualTo(secret);
        assertThat(Shamir.combine(new int[] {14, 27, 40, 41}, Arrays.copyOfRange(shares, 2, 6))).isEqualTo(secret);
        assertThat(Shamir.combine(new int[] {3, 27, 41, 9}, new BigInteger[] {shares[0], shares[3], shares[5], shares[1]}))
                .isEqualTo(secret);
        assertThatThrownBy(() -> Shamir.combine(new int[] {3, 9, 14}, Arrays.copyOfRange(shares, 0, 3)))
                .hasMessage("the shares do not agree: they interpolate to a value longer than 32 bytes");
    }

    @Test
    @DisplayName("Shamir: a share on the wire must be 1 to 66 bytes and below the field prime")
    void shareBounds() {
        assertThat(Shamir.fromBytes(Shamir.toBytes(Shamir.PRIME.subtract(BigInteger.ONE)), "s"))
                .isEqualTo(Shamir.PRIME.subtract(BigInteger.ONE));
        assertThatThrownBy(() -> Shamir.fromBytes(Shamir.toBytes(Shamir.PRIME), "a share"))
                .hasMessage("a share is not below the field prime 2^521 - 1");
        assertThatThrownBy(() -> Shamir.fromBytes(new byte[0], "a share")).hasMessage("a share is 0 bytes; a share is 1 to 66 bytes");
    }

    @ParameterizedTest(name = "n={0}")
    @CsvSource({"3", "5", "20", "100", "1000"})
    @DisplayName("the neighbour graph is k-regular, symmetric, without self-loops, and the same for everyone with the seed")
    void neighbourGraph(int n) {
        SecAggParams params = SecAggSimulation.params(n, n);
        NeighbourGraph graph = params.graph();
        for (int party = 0; party < n; party++) {
            int[] neighbours = graph.neighbours(party);
            assertThat(neighbours).hasSize(params.neighbours()).doesNotContain(party).doesNotHaveDuplicates().isSorted();
            for (int neighbour : neighbours) {
                assertThat(graph.adjacent(neighbour, party)).isTrue();
            }
        }
        assertThat(params.graph().neighbours(0)).containsExactly(graph.neighbours(0));
    }

    @Test
    @DisplayName("k grows as O(log n): 14 neighbours at 100 parties, 20 at 1000, everyone below 5")
    void neighbourCounts() {
        assertThat(NeighbourGraph.defaultNeighbours(4)).isEqualTo(3);
        assertThat(NeighbourGraph.defaultNeighbours(20)).isEqualTo(10);
        assertThat(NeighbourGraph.defaultNeighbours(100)).isEqualTo(14);
        assertThat(NeighbourGraph.defaultNeighbours(1000)).isEqualTo(20);
    }

    @Test
    @DisplayName("another round seed gives another graph")
    void seedChangesGraph() {
        NeighbourGraph one = SecAggSimulation.params(100, 1).graph();
        NeighbourGraph two = SecAggSimulation.params(100, 2).graph();
        boolean differs = false;
        for (int party = 0; party < 100 && !differs; party++) {
            differs = !Arrays.equals(one.neighbours(party), two.neighbours(party));
        }
        assertThat(differs).isTrue();
    }

    @Test
    @DisplayName("fixed point: values clip to the declared range, and the sum of weighted values decodes to the weighted mean")
    void fixedPoint() {
        FixedPoint fixedPoint = new FixedPoint(2.0);
        int[] encoded = fixedPoint.encode(new float[] {1.5f, -7f, 3f, Float.NaN, Float.NEGATIVE_INFINITY}, 1.0);
        assertThat(encoded).containsExactly(805306368, -1073741824, 1073741824, 0, -1073741824);

        int[] sum = new int[1];
        for (int party = 0; party < 4; party++) {
            sum[0] += fixedPoint.encode(new float[] {2.0f}, 0.25)[0];
        }
        assertThat(sum[0]).isEqualTo(1 << 30);
        assertThat(fixedPoint.decodeMean(sum, 1.0)).containsExactly(2.0f);
        assertThat(fixedPoint.decodeMean(new int[] {-(1 << 29)}, 0.5)).containsExactly(-2.0f);
        assertThatThrownBy(() -> fixedPoint.encode(new float[1], 1.5)).hasMessage("weight 1.5 is not in (0, 1]");
    }

    @Test
    @DisplayName("an AES-256-CTR mask added and subtracted again leaves the values as they were; another seed gives another mask")
    void masksCancel() {
        int[] values = {1, 2, 3, Integer.MAX_VALUE, Integer.MIN_VALUE};
        int[] masked = values.clone();
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        MaskStream.apply(seed, +1, masked);
        assertThat(masked).isNotEqualTo(values);
        MaskStream.apply(seed, -1, masked);
        assertThat(masked).containsExactly(values);
    }

    @Test
    @DisplayName("the mask is the AES-256-CTR keystream of the seed from counter block 0, read as little-endian "
            + "integers (all-zero key: AES-256 of blocks 0 and 1)")
    void aesKnownAnswer() {
        // AES-256 with the all-zero key: E(0^128) = dc95c078a2408989ad48a21492842087, E(0^120 01) = 530f8afbc74536b9...
        int[] mask = new int[6];
        MaskStream.apply(new byte[32], +1, mask);
        assertThat(mask).containsExactly(0x78c095dc, 0x898940a2, 0x14a248ad, 0x87208492, 0xfb8a0f53, 0xb93645c7);
    }

    @Test
    @DisplayName("masks folded in one pass over ranges (each range's keystream started at its own counter block) "
            + "into values that are not zero equal each keystream expanded whole from block 0 and added one after another")
    void onePassEqualsWholeKeystreams() throws Exception {
        int values = 600_001; // three ranges, the last one short and not a whole AES block
        int[] expected = new int[values];
        for (int i = 0; i < values; i++) {
            expected[i] = random.nextInt();
        }
        int[] folded = expected.clone();
        List<MaskStream.Term> terms = new java.util.ArrayList<>();
        for (int t = 0; t < 3; t++) {
            byte[] seed = new byte[32];
            random.nextBytes(seed);
            int sign = t == 1 ? -1 : +1;
            terms.add(new MaskStream.Term(seed, sign));
            javax.crypto.Cipher aes = javax.crypto.Cipher.getInstance("AES/CTR/NoPadding");
            aes.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(seed, "AES"),
                    new javax.crypto.spec.IvParameterSpec(new byte[16]));
            java.nio.IntBuffer stream = java.nio.ByteBuffer.wrap(aes.doFinal(new byte[values * 4]))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            for (int i = 0; i < values; i++) {
                expected[i] += sign * stream.get(i);
            }
        }
        MaskStream.applyAll(terms, folded);
        assertThat(folded).isEqualTo(expected);
    }

    @Test
    @DisplayName("the Vector API's add of a keystream (little-endian bytes read in place) equals the plain loops' "
            + "(bytes copied into ints first), for both signs and a length that leaves a tail")
    void vectorAddEqualsPlainAdd() {
        // the plain-kernels run (protocol/pom.xml) has no Vector API; there the masks above run on the plain loops
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.flotilla.protocol.tensor.FloatKernels.VECTOR_API);
        int values = 16_384 - 5;
        byte[] keystream = new byte[values * 4];
        random.nextBytes(keystream);
        int[] words = new int[values];
        java.nio.ByteBuffer.wrap(keystream).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(words);
        for (int sign : new int[] {+1, -1}) {
            int[] plain = new int[values];
            for (int i = 0; i < values; i++) {
                plain[i] = random.nextInt();
            }
            int[] vector = plain.clone();
            MaskStream.add(words, sign, plain, values);
            VectorMaskAdd.add(keystream, sign, vector, values);
            assertThat(vector).as("sign %d", sign).isEqualTo(plain);
        }
    }

    @Test
    @DisplayName("tensors encode as their values joined: one masked input in the order of the model's tensors")
    void tensorsEncodeAsTheirJoinedValues() {
        FixedPoint fixedPoint = new FixedPoint(2.0);
        float[][] tensors = {{0.5f, -1.25f, 3f}, {}, {Float.NaN, -0.001f}, {1.999f}};
        assertThat(fixedPoint.encode(tensors, 0.25))
                .isEqualTo(fixedPoint.encode(new float[] {0.5f, -1.25f, 3f, Float.NaN, -0.001f, 1.999f}, 0.25))
                .hasSize(6);
    }
}
