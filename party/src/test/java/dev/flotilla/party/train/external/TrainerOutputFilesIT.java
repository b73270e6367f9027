package dev.flotilla.party.train.external;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.train.external.TrainerResult.Action;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A result file that is a FIFO, made with mkfifo (Java cannot make one): refused without opening it. */
class TrainerOutputFilesIT {

  @TempDir
  Path dir;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // guards the old behaviour: reading a FIFO blocked forever
  @DisplayName("a result.json that is a FIFO is refused without opening it")
  void resultFifoRefused() throws Exception {
    Path result = dir.resolve("result.json");
    assertThat(new ProcessBuilder("mkfifo", result.toString()).start().waitFor()).isZero();
    assertThatThrownBy(() -> TrainerResult.read(result, Action.DESCRIBE))
        .hasMessage(result + " is not a regular file");
  }
}
