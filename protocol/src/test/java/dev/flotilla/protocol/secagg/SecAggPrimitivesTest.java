package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
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
    @DisplayName("a ChaCha20 mask added and subtracted again leaves the values as they were; another seed gives another mask")
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
    @DisplayName("the mask is RFC 8439's ChaCha20 keystream read as little-endian integers (appendix A.1, test vector 1)")
    void chachaKnownAnswer() {
        // all-zero key and nonce, block counter 0: keystream 76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28
        int[] mask = new int[4];
        MaskStream.apply(new byte[32], +1, mask);
        assertThat(mask).containsExactly(0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653);
    }
}
