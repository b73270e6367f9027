package dev.flotilla.bench.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ComparisonTest {

  static Curve curve(Double... accuracy) {
    return new Curve("test", Arrays.asList(accuracy));
  }

  @Test
  @DisplayName("the largest difference is taken over rounds 1..R in points; the initial model does not count")
  void maxOverRoundsAfterTheInitialModel() {
    Comparison c = new Comparison("labels:2", curve(0.10, 0.50, 0.70, 0.80), curve(0.20, 0.505, 0.692, 0.801), 1.0);
    assertThat(c.maxDifferencePoints()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(c.differencePoints(0)).isCloseTo(10.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(c.withinLimit()).isTrue();
  }

  @Test
  @DisplayName("a difference above the limit at any single round fails the comparison")
  void overTheLimitAtOneRound() {
    Comparison c = new Comparison("dirichlet:0.5", curve(0.1, 0.50, 0.70, 0.80), curve(0.1, 0.50, 0.7101, 0.80), 1.0);
    assertThat(c.maxDifferencePoints()).isGreaterThan(1.0);
    assertThat(c.withinLimit()).isFalse();
    assertThat(QualityTable.verdict(c)).endsWith("OVER");
  }

  @Test
  @DisplayName("a round one side did not report fails the comparison instead of counting as agreement")
  void missingRoundFails() {
    Comparison c = new Comparison("iid", curve(0.1, 0.5, null), curve(0.1, 0.5, 0.7), 1.0);
    assertThat(c.missingRounds()).containsExactly(2);
    assertThat(c.withinLimit()).isFalse();
    assertThat(QualityTable.verdict(c)).contains("[2] not reported");
    Comparison shorter = new Comparison("iid", curve(0.1, 0.5), curve(0.1, 0.5, 0.7), 1.0);
    assertThat(shorter.missingRounds()).containsExactly(2);
    assertThat(shorter.withinLimit()).isFalse();
  }

  @Test
  @DisplayName("the table puts both sides of every partition in one row per round, the speed in the same table")
  void tableSideBySide() {
    Comparison dirichlet = new Comparison("dirichlet:0.5", curve(0.1, 0.55, 0.74), curve(0.1, 0.5515, 0.7426), 1.0);
    Comparison labels = new Comparison("labels:2", curve(0.1, 0.30, 0.45), curve(0.1, 0.305, 0.444), 1.0);
    SpeedComparison.Result speed = new SpeedComparison.Result(1,
        new SpeedComparison.Measurement("DJL", 2800), new SpeedComparison.Measurement("PyTorch", 8400));
    String table = QualityTable.markdown(List.of(dirichlet, labels), List.of(speed), "cnn");
    assertThat(table.lines()).containsExactly(
        "| cnn | Flotilla dirichlet:0.5 | PyTorch dirichlet:0.5 | diff (pt) | Flotilla labels:2 | PyTorch labels:2 | diff (pt) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        "| round 0 (initial model) | 10.00% | 10.00% | 0.00 | 10.00% | 10.00% | 0.00 |",
        "| round 1 | 55.00% | 55.15% | 0.15 | 30.00% | 30.50% | 0.50 |",
        "| round 2 | 74.00% | 74.26% | 0.26 | 45.00% | 44.40% | 0.60 |",
        "| **max diff, rounds 1-2** (limit 1.00 pt) | | | **0.26 within** | | | **0.60 within** |",
        "| training speed of one party, samples/s, 1 thread | 2800 | 8400 | ratio 0.33 | | | |");
  }
}
