package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private long temporaries() throws IOException {
    try (var files = Files.walk(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).count();
    }
  }

  @Test
  @DisplayName("a file is written in full, mode 0600, into a directory made on the way, with no temporary left")
  void writes() throws IOException {
    Path target = dir.resolve("a/b/report.json");
    AtomicFiles.writeString(target, "{\"é\":1}\n");
    assertThat(Files.readString(target, StandardCharsets.UTF_8)).isEqualTo("{\"é\":1}\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
    assertThat(temporaries()).isZero();
  }

  @Test
  @DisplayName("a writer that fails leaves the old content and no temporary file")
  void failureKeepsOld() throws IOException {
    Path target = dir.resolve("state.bin");
    AtomicFiles.writeBytes(target, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> AtomicFiles.writeStream(target, out -> {
      out.write(new byte[100_000]);
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
    assertThat(temporaries()).isZero();
  }

  @Test
  @DisplayName("a batch writes public files 0644 and secret ones 0600, replacing what was there")
  void batchModes() throws IOException {
    Files.writeString(dir.resolve("tls.crt"), "old");
    AtomicFiles.batch().add(dir.resolve("tls.crt"), "CERT").addSecret(dir.resolve("tls.key"), "KEY").write();
    assertThat(Files.readString(dir.resolve("tls.crt"))).isEqualTo("CERT");
    assertThat(Files.readString(dir.resolve("tls.key"))).isEqualTo("KEY");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.crt")))).isEqualTo("rw-r--r--");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.key")))).isEqualTo("rw-------");
    assertThat(temporaries()).isZero();
  }

  @Test
  @DisplayName("a batch that cannot stage one file touches none of them")
  void batchAllOrNone() throws IOException {
    Files.writeString(dir.resolve("tls.crt"), "old");
    Files.writeString(dir.resolve("blocker"), "a file where a directory is needed");
    assertThatThrownBy(() -> AtomicFiles.batch()
        .add(dir.resolve("tls.crt"), "NEW")
        .addSecret(dir.resolve("blocker/tls.key"), "KEY")
        .write()).isInstanceOf(IOException.class);
    assertThat(Files.readString(dir.resolve("tls.crt"))).isEqualTo("old");
    assertThat(temporaries()).isZero();
  }
}
