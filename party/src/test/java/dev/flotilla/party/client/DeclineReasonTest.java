package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeclineReasonTest {

  @Test
  void aTrainerErrorBecomesOneLineTheServerTakes() {
    assertThat(DeclineReason.of("training failed: command exited 1:\nTraceback\r\n\tline 3\n"))
        .isEqualTo("training failed: command exited 1: Traceback   line 3");
  }

  @Test
  void aLongReasonIsCutTo500CharactersMarkedAsCut() {
    String cut = DeclineReason.of("y".repeat(10_000));
    assertThat(cut).hasSize(DeclineReason.MAX_CHARS).endsWith("y ...");
    assertThat(DeclineReason.of("z".repeat(500))).isEqualTo("z".repeat(500));
  }

  @Test
  void aSurrogatePairIsNotSplitAndAnEmptyReasonSaysSo() {
    String cut = DeclineReason.of("a".repeat(495) + "\uD83D\uDE00" + "b".repeat(100));
    assertThat(cut).doesNotContain("\uD83D ").endsWith("a ...");
    assertThat(DeclineReason.of(" \n ")).isEqualTo("no reason given");
    assertThat(DeclineReason.of(null)).isEqualTo("no reason given");
  }
}
