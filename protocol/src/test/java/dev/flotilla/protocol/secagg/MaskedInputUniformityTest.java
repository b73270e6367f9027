package dev.flotilla.protocol.secagg;

import static dev.flotilla.testing.ByteUniformity.CRITICAL_255;
import static dev.flotilla.testing.ByteUniformity.chiSquare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What the aggregator receives from one party, byte by byte, against the uniform distribution. */
class MaskedInputUniformityTest {
    private static final int VALUES = 1 << 18;

    private static byte[] concat(List<byte[]> chunks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** A highly structured update: the same value everywhere, as a frozen layer would send. */
    private static int[] encodedConstantUpdate(SecAggParams params) {
        float[] update = new float[VALUES];
        Arrays.fill(update, 0.25f);
        return new FixedPoint(params.clipRange()).encode(update, 0.05);
    }

    @Test
    @DisplayName("a party's masked input is indistinguishable from uniform bytes (chi-square, p = 0.001), though its update is constant")
    void maskedInputLooksUniform() {
        SecAggParams params = SecAggSimulation.params(10, 11);
        SecAggAggregator aggregator = new SecAggAggregator(params, VALUES);
        SecAggParty[] parties = new SecAggParty[10];
        for (int p = 0; p < 10; p++) {
            parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(100 + p));
            aggregator.acceptKeys(p, parties[p].advertiseKeys());
        }
        aggregator.closeKeys();
        List<SecAggEncryptedShare> relayed = new ArrayList<>();
        for (int p = 0; p < 10; p++) {
            var bundle = parties[p].shareKeys(aggregator.rosterFor(p));
            relayed.addAll(bundle.getSharesList());
            aggregator.acceptShares(p, bundle);
        }
        aggregator.closeShares();
        int[] plain = encodedConstantUpdate(params);
        int[] masked = plain.clone();
        parties[3].maskInput(aggregator.sharesFor(3), masked);

        byte[] received = concat(SecAggSimulation.chunks(masked));
        assertThat(received).hasSize(4 * VALUES);
        assertThat(chiSquare(received)).isLessThan(CRITICAL_255);
        // the same test rejects the unmasked encoding: it can fail
        assertThat(chiSquare(concat(SecAggSimulation.chunks(plain)))).isGreaterThan(100 * CRITICAL_255);
    }

    @Test
    @DisplayName("the sealed shares the aggregator relays are indistinguishable from uniform bytes too")
    void relayedSharesLookUniform() {
        SecAggParams params = SecAggSimulation.params(100, 12);
        SecAggAggregator aggregator = new SecAggAggregator(params, 1);
        SecAggParty[] parties = new SecAggParty[100];
        for (int p = 0; p < 100; p++) {
            parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(200 + p));
            aggregator.acceptKeys(p, parties[p].advertiseKeys());
        }
        aggregator.closeKeys();
        ByteArrayOutputStream relayed = new ByteArrayOutputStream();
        for (int p = 0; p < 100; p++) {
            parties[p].shareKeys(aggregator.rosterFor(p)).getSharesList().forEach(s -> relayed.writeBytes(s.getCiphertext().toByteArray()));
        }

        assertThat(relayed.size()).isEqualTo(100 * params.neighbours() * ShareCipher.CIPHERTEXT_BYTES);
        assertThat(chiSquare(relayed.toByteArray())).isLessThan(CRITICAL_255);
    }
}
