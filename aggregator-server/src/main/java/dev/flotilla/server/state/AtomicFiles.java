package dev.flotilla.server.state;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes a file so that a reader (or a restart after a crash) sees the old or the new content, never half. */
public final class AtomicFiles {

  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  public static void write(Path target, Writer writer) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
           OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 1 << 16)) {
        writer.write(out);
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      // the rename itself is durable only once the directory is synced
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      } catch (IOException ignored) {
        // some file systems do not allow opening a directory; the rename is still atomic
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
