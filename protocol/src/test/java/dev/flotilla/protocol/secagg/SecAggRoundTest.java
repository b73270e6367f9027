package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecAggRoundTest {

    private static Set<Integer> randomParties(int rosterSize, int count, long seed) {
        Random random = new Random(seed);
        Set<Integer> chosen = new HashSet<>();
        while (chosen.size() < count) {
            chosen.add(random.nextInt(rosterSize));
        }
        return chosen;
    }

    @ParameterizedTest(name = "n={0}, {1} dropped after sharing keys")
    @CsvSource({"20,0", "20,2", "50,0", "50,5", "100,0", "100,10"})
    @DisplayName("the unmasked sum equals the plain sum of the survivors' encoded updates, with 0 and 10 % dropouts after key sharing")
    void sumIsExact(int rosterSize, int dropouts) {
        SecAggParams params = SecAggSimulation.params(rosterSize, rosterSize);
        float[][] updates = SecAggSimulation.updates(rosterSize, 1000, rosterSize);
        double[] weights = SecAggSimulation.weights(rosterSize, rosterSize);
        Set<Integer> dropped = randomParties(rosterSize, dropouts, rosterSize + dropouts);

        SecAggSimulation.Outcome outcome = SecAggSimulation.run(params, updates, weights, dropped, 7);

        assertThat(outcome.survivors()).hasSize(rosterSize - dropouts).allMatch(party -> !dropped.contains(party));
        assertThat(outcome.sum()).containsExactly(outcome.expectedSum());
        float[] mean = new FixedPoint(params.clipRange()).decodeMean(outcome.sum(), outcome.survivorWeight());
        double tolerance = new FixedPoint(params.clipRange()).maxSumError(rosterSize) / outcome.survivorWeight() + 1e-6;
        for (int v = 0; v < mean.length; v++) {
            assertThat((double) mean[v]).as("value %d", v).isCloseTo(outcome.plainMean()[v], offset(tolerance));
        }
    }

    @Test
    @DisplayName("a model of 40 000 values in chunks larger than the fold's block, half of them read in place from "
            + "received messages: the unmasked sum is still exact")
    void largeChunksAndReceivedViewsSumExactly() {
        SecAggParams params = SecAggSimulation.params(16, 16);
        SecAggSimulation.Outcome outcome = SecAggSimulation.run(params, SecAggSimulation.updates(16, 40_000, 16),
                SecAggSimulation.weights(16, 16), Set.of(2), 9);

        assertThat(outcome.survivors()).hasSize(15);
        assertThat(outcome.sum()).containsExactly(outcome.expectedSum());
    }

    @Test
    @DisplayName("each party's key roster holds its own keys and its neighbours' that advertised keys, nobody else's; "
            + "none before the key round closes")
    void rosterForHoldsOwnAndNeighboursKeysOnly() {
        int n = 40;
        SecAggParams params = SecAggSimulation.params(n, 11);
        SecAggAggregator aggregator = new SecAggAggregator(params, 8);
        int silent = params.graph().neighbours(0)[0];
        for (int p = 0; p < n; p++) {
            SecAggParty party = new SecAggParty(params, p, SecAggSimulation.seeded(500 + p));
            var keys = party.advertiseKeys();
            if (p != silent) {
                aggregator.acceptKeys(p, keys);
            }
        }
        assertThatThrownBy(() -> aggregator.rosterFor(0)).hasMessage("the key round is not closed yet");
        aggregator.closeKeys();
        for (int p = 0; p < n; p++) {
            Set<Integer> expected = new HashSet<>();
            if (p != silent) {
                expected.add(p);
            }
            for (int neighbour : params.graph().neighbours(p)) {
                if (neighbour != silent) {
                    expected.add(neighbour);
                }
            }
            assertThat(aggregator.rosterFor(p).getKeysList()).as("party %d", p)
                    .extracting(keys -> keys.getParty()).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThat(params.neighbours()).as("a sparse graph, or the test shows nothing").isLessThan(n - 1);
    }

    @Test
    @DisplayName("a round in which fewer parties than the threshold send masked inputs fails and says so")
    void tooFewSurvivorsFail() {
        SecAggParams params = SecAggSimulation.params(20, 3);
        Set<Integer> dropped = randomParties(20, 20 - params.threshold() + 1, 3);

        assertThatThrownBy(() -> SecAggSimulation.run(params, SecAggSimulation.updates(20, 10, 3),
                SecAggSimulation.weights(20, 3), dropped, 3))
                .isInstanceOf(SecAggException.class)
                .hasMessage("the round fails: " + (params.threshold() - 1) + " of 20 parties sent masked inputs, fewer than"
                        + " the threshold " + params.threshold());
    }

    @Test
    @DisplayName("a round in which a dropped party lost too many neighbours to recover its mask key fails and names it, "
            + "before any share is revealed")
    void tooManyDroppedNeighboursFail() {
        SecAggParams params = SecAggSimulation.params(20, 4);
        // the threshold's worth of survivors overall, but 12 of 20 dropped: some dropped party keeps fewer than t live neighbours
        Set<Integer> dropped = randomParties(20, 12, 4);

        assertThatThrownBy(() -> SecAggSimulation.run(params, SecAggSimulation.updates(20, 10, 4),
                SecAggSimulation.weights(20, 4), dropped, 4))
                .isInstanceOf(SecAggException.class)
                .hasMessageMatching("the round fails: \\d survivors hold shares of party \\d+'s (mask key|self-mask seed), fewer"
                        + " than the threshold " + params.threshold() + " \\(too many of its neighbours dropped\\); no share is"
                        + " revealed");
    }

    @Test
    @DisplayName("a survivor that dies before revealing its shares does not stop the round: the others' shares suffice")
    void survivorSilentInUnmaskingStillSums() {
        int n = 20;
        SecAggParams params = SecAggSimulation.params(n, 5);
        float[][] updates = SecAggSimulation.updates(n, 300, 5);
        double[] weights = SecAggSimulation.weights(n, 5);
        FixedPoint fixedPoint = new FixedPoint(params.clipRange());
        SecAggAggregator aggregator = new SecAggAggregator(params, 300);
        SecAggParty[] parties = new SecAggParty[n];
        for (int p = 0; p < n; p++) {
            parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(p));
            aggregator.acceptKeys(p, parties[p].advertiseKeys());
        }
        aggregator.closeKeys();
        for (int p = 0; p < n; p++) {
            aggregator.acceptShares(p, parties[p].shareKeys(aggregator.rosterFor(p)));
        }
        aggregator.closeShares();
        int[] expected = new int[300];
        for (int p = 0; p < n; p++) {
            int[] encoded = fixedPoint.encode(updates[p], weights[p]);
            for (int v = 0; v < 300; v++) {
                expected[v] += encoded[v];
            }
            parties[p].maskInput(aggregator.sharesFor(p), encoded);
            for (byte[] chunk : SecAggSimulation.chunks(encoded)) {
                aggregator.foldMasked(p, chunk);
            }
        }
        var request = SecAggSimulation.consistencyCheck(aggregator, parties, aggregator.closeInputs());
        for (int p : request.getSurvivorsList()) {
            if (p != 7) {
                aggregator.acceptUnmask(p, parties[p].unmask(request));
            }
        }

        assertThat(aggregator.unmaskedSum()).containsExactly(expected);
        assertThat(aggregator.survivors()).hasSize(n);
        assertThat(aggregator.dropped()).isEmpty();
    }

    @Test
    @DisplayName("a masked input that breaks off midway fails the round: its partial sum cannot be taken out")
    void partialMaskedInputFails() {
        SecAggParams params = SecAggSimulation.params(5, 6);
        SecAggAggregator aggregator = new SecAggAggregator(params, 600);
        SecAggParty[] parties = new SecAggParty[5];
        for (int p = 0; p < 5; p++) {
            parties[p] = new SecAggParty(params, p, SecAggSimulation.seeded(p));
            aggregator.acceptKeys(p, parties[p].advertiseKeys());
        }
        aggregator.closeKeys();
        for (int p = 0; p < 5; p++) {
            aggregator.acceptShares(p, parties[p].shareKeys(aggregator.rosterFor(p)));
        }
        aggregator.closeShares();
        for (int p = 0; p < 5; p++) {
            int[] encoded = new int[600];
            parties[p].maskInput(aggregator.sharesFor(p), encoded);
            List<byte[]> chunks = SecAggSimulation.chunks(encoded);
            for (byte[] chunk : p == 2 ? chunks.subList(0, 1) : chunks) {
                aggregator.foldMasked(p, chunk);
            }
        }

        assertThatThrownBy(aggregator::closeInputs).isInstanceOf(SecAggException.class)
                .hasMessage("the round fails: party 2's masked input stopped after 256 of 600 values, and a partial masked"
                        + " input cannot be taken out of the modular sum");
    }
}
