package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.protocol.secagg.DistributedNoise;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.RdpAccountant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Distributed DP-FedAvg with party sampling (--dp-mode distributed, --dp-sampling-rate below 1): allowed, a
 * sample too small to mask is padded with noise-only parties, the shares are calibrated to the sampled roster,
 * and the accountant charges the subsampled Gaussian with q, less than at q = 1.
 */
class DistributedSamplingTest {
  private static final List<String> ELIGIBLE = List.of("a", "b", "c", "d", "e", "f");

  private static PrivacyBudget distributed(double q, double tolerance) {
    return new PrivacyBudget(100, 1e-5, 1.0, 1.1, q, PrivacySettings.NoiseMode.DISTRIBUTED, tolerance);
  }

  @Test
  @DisplayName("distributed noise with sampling below 1 is no longer refused")
  void samplingAllowed() {
    assertThat(distributed(0.3, 0.1).settings().secureAggregationRefusal(true, 100)).isNull();
  }

  @Test
  @DisplayName("a sample of 1 is padded with 2 other eligible parties; a sample of 3 or more is not padded; padding "
      + "never goes beyond the eligible parties")
  void padding() {
    Random random = new Random(1);
    Set<String> padding = DistributedSample.padding(ELIGIBLE, Set.of("c"), random);
    assertThat(padding).hasSize(2).doesNotContain("c").isSubsetOf(ELIGIBLE);
    assertThat(DistributedSample.padding(ELIGIBLE, Set.of("a", "b", "c"), random)).isEmpty();
    assertThat(DistributedSample.padding(ELIGIBLE, Set.of(), random)).hasSize(3);
    assertThat(DistributedSample.padding(List.of("a", "b"), Set.of("a"), random)).containsExactly("b");
  }

  @Test
  @DisplayName("the padding parties' assignment asks for noise only, the sampled party's does not; every share is "
      + "calibrated to the roster of 3 less the dropout tolerance (never below the threshold)")
  void noiseOnlyAssignment() {
    Map<String, Long> roster = new LinkedHashMap<>();
    roster.put("c", 100L);
    roster.put("a", 50L);
    roster.put("e", 70L);
    SecureRound secure = new SecureRound("job", new Round(1, 1, Instant.EPOCH.plusSeconds(600)), roster, 10, 100,
        distributed(0.3, 0.1), Duration.ofMinutes(1), Clock.systemUTC(), () -> { });
    secure.noiseOnly(Set.of("a", "e"));
    var sampled = secure.assignment("c").getDistributedNoise();
    var padding = secure.assignment("a").getDistributedNoise();
    assertThat(sampled.getNoiseOnly()).isFalse();
    assertThat(padding.getNoiseOnly()).isTrue();
    int m = DistributedNoise.minSurvivors(3, 0.1);
    assertThat(m).isEqualTo(3);
    assertThat(sampled.getShareStd()).isCloseTo(1.1 * 1.0 / Math.sqrt(m), Offset.offset(1e-12));
    assertThat(padding.getShareStd()).isEqualTo(sampled.getShareStd());
    assertThat(secure.isNoiseOnly("a")).isTrue();
    assertThat(secure.isNoiseOnly("c")).isFalse();
  }

  @Test
  @DisplayName("the ledger charges a distributed round with sampling rate q as the subsampled Gaussian (the "
      + "accountant's epsilon for q, z, rounds, delta), less than the same rounds at q = 1")
  void accountantChargesSampling() {
    PrivacyBudget sampled = distributed(0.3, 0.1);
    PrivacyBudget everyone = distributed(1.0, 0.1);
    double expected = RdpAccountant.epsilon(0.3, 1.1, 10, 1e-5, RdpAccountant.Conversion.IMPROVED).epsilon();
    assertThat(sampled.epsilonAfter(10)).isCloseTo(expected, Offset.offset(1e-9));
    assertThat(sampled.epsilonAfter(10)).isLessThan(everyone.epsilonAfter(10) / 2);
    // the noise a round actually carried (more survivors than the shares were sized for) keeps the rate
    assertThat(sampled.withPresentNoise(1.3).samplingRate()).isEqualTo(0.3);
    // the same as central DP-FedAvg at the same q and z: one accountant for both modes
    assertThat(sampled.epsilonAfter(10)).isCloseTo(new PrivacyBudget(100, 1e-5, 1.0, 1.1, 0.3).epsilonAfter(10),
        Offset.offset(1e-12));
  }
}
