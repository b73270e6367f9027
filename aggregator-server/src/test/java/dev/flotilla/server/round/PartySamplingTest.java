package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartySamplingTest {

  private static final List<String> HUNDRED = IntStream.rangeClosed(1, 100).mapToObj(i -> "party-" + i).toList();

  @Test
  @DisplayName("fraction 1 asks every eligible party, in registry order")
  void all() {
    assertThat(PartySampling.choose(List.of("b", "a", "c"), 1.0, 2, 7, 1)).containsExactly("b", "a", "c");
  }

  @Test
  @DisplayName("fraction 0.1 of 100 parties asks 10 distinct eligible parties, the same ones for the same seed and round")
  void tenPercent() {
    List<String> chosen = PartySampling.choose(HUNDRED, 0.1, 2, 42, 3);
    assertThat(chosen).hasSize(10).doesNotHaveDuplicates().isSubsetOf(HUNDRED);
    assertThat(PartySampling.choose(HUNDRED, 0.1, 2, 42, 3)).isEqualTo(chosen);
    List<String> reversed = new java.util.ArrayList<>(HUNDRED);
    java.util.Collections.reverse(reversed);
    assertThat(PartySampling.choose(reversed, 0.1, 2, 42, 3)).containsExactlyInAnyOrderElementsOf(chosen);
    assertThat(PartySampling.choose(HUNDRED, 0.1, 2, 42, 4)).isNotEqualTo(chosen);
  }

  @Test
  @DisplayName("a small fraction still asks --min-parties, and never more parties than are eligible")
  void bounds() {
    assertThat(PartySampling.choose(HUNDRED, 0.01, 5, 1, 1)).hasSize(5);
    assertThat(PartySampling.choose(List.of("a", "b"), 0.1, 5, 1, 1)).containsExactly("a", "b");
  }
}
