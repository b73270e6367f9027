package dev.flotilla.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessGroupIT {

  @Test
  @DisplayName("closing the group ends every child still running, even one that ignores SIGTERM")
  void closeEndsChildren(@TempDir Path dir) {
    ChildProcess polite;
    ChildProcess stubborn;
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      polite = group.start("polite", List.of("sleep", "300"), dir, Map.of());
      stubborn = group.start("stubborn", List.of("sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"),
          dir, Map.of());
      await().atMost(Duration.ofSeconds(10)).until(() -> stubborn.log().contains("ready"));
      assertThat(polite.isAlive()).isTrue();
    }
    assertThat(polite.isAlive()).isFalse();
    assertThat(stubborn.isAlive()).isFalse();
    assertThat(stubborn.process().descendants()).isEmpty();
  }

  @Test
  @DisplayName("a child's output lands in its log file, and its tail is prefixed with its name")
  void logsAndTails(@TempDir Path dir) {
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      ChildProcess child = group.start("party-1",
          List.of("sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; echo oops >&2; exit 3"), dir, Map.of());

      await().atMost(Duration.ofSeconds(10)).until(() -> child.exitCode().isPresent());

      assertThat(child.exitCode()).hasValue(3);
      assertThat(child.logFile()).isEqualTo(dir.resolve("logs/party-1.log"));
      assertThat(child.tail(2)).isEqualTo("[party-1] line 5" + System.lineSeparator() + "[party-1] oops");
      assertThat(group.tails(1)).isEqualTo("[party-1] oops");
    }
  }

  @Test
  @DisplayName("kill ends a child at once with SIGKILL")
  void kill(@TempDir Path dir) {
    try (ProcessGroup group = new ProcessGroup(dir.resolve("logs"))) {
      ChildProcess child = group.start("server", List.of("sh", "-c", "trap '' TERM; while :; do sleep 1; done"), dir, Map.of());

      child.kill();

      assertThat(child.isAlive()).isFalse();
      assertThat(child.exitCode()).hasValue(128 + 9);
    }
  }
}
