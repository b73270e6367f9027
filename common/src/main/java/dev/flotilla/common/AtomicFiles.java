package dev.flotilla.common;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The project's one way to write a file: a reader (or a restart after a crash) sees the old content or
 * the new, never half. The content goes to a hidden temporary file beside the target (mode 0600 from its
 * creation, and it stays so: a model, a checkpoint or a report is the job's business), is forced to disk,
 * moved over the target, and the directory is synced so the move survives a crash. {@link #batch()} does the same for several files that must change together.
 */
public final class AtomicFiles {
  private static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  private static final int STREAM_BUFFER_BYTES = 1 << 16;

  /** Writes the content through the channel of the temporary file. */
  @FunctionalInterface
  public interface ChannelWriter {
    void write(FileChannel channel) throws IOException;
  }

  /** Writes the content to a buffered stream over the temporary file. */
  @FunctionalInterface
  public interface StreamWriter {
    void write(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  /** The target, mode 0600, from what {@code writer} writes to its channel. */
  public static void write(Path target, ChannelWriter writer) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path tmp = stage(absolute, writer, true);
    try {
      move(tmp, absolute);
    } finally {
      Files.deleteIfExists(tmp);
    }
    syncDirectory(absolute.getParent());
  }

  /** The target, mode 0600, from what {@code writer} writes to a buffered stream. */
  public static void writeStream(Path target, StreamWriter writer) throws IOException {
    write(target, channel -> {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), STREAM_BUFFER_BYTES);
      writer.write(out);
      out.flush();
    });
  }

  /** The target, mode 0600, holding {@code text} in UTF-8. */
  public static void writeString(Path target, String text) throws IOException {
    writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The target, mode 0600, holding {@code bytes}. */
  public static void writeBytes(Path target, byte[] bytes) throws IOException {
    write(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
  }

  /** Files that change together: every one is staged before the first is moved into place. */
  public static Batch batch() {
    return new Batch();
  }

  /** See {@link #batch()}. If anything fails before the moves, no target is touched. */
  public static final class Batch {
    private final Map<Path, String> contents = new LinkedHashMap<>();
    private final Map<Path, Boolean> secret = new LinkedHashMap<>();

    private Batch() {}

    /** A public file (mode 0644), e.g. a certificate; US-ASCII text. */
    public Batch add(Path path, String content) {
      contents.put(path.toAbsolutePath(), content);
      secret.put(path.toAbsolutePath(), false);
      return this;
    }

    /** A secret file (mode 0600 from the moment it exists), e.g. a private key; US-ASCII text. */
    public Batch addSecret(Path path, String content) {
      contents.put(path.toAbsolutePath(), content);
      secret.put(path.toAbsolutePath(), true);
      return this;
    }

    public void write() throws IOException {
      List<Path[]> staged = new ArrayList<>();
      try {
        for (Map.Entry<Path, String> e : contents.entrySet()) {
          byte[] bytes = e.getValue().getBytes(StandardCharsets.US_ASCII);
          staged.add(new Path[] {stage(e.getKey(), c -> writeFully(c, ByteBuffer.wrap(bytes)), secret.get(e.getKey())),
              e.getKey()});
        }
        for (Path[] move : staged) {
          move(move[0], move[1]);
        }
      } finally {
        for (Path[] move : staged) {
          try {
            Files.deleteIfExists(move[0]);
          } catch (IOException ignored) {
            // best effort: the temporary file is hidden and named after its target
          }
        }
      }
      for (Path[] move : staged) {
        syncDirectory(move[1].getParent());
      }
    }
  }

  public static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private static Path stage(Path target, ChannelWriter writer, boolean isSecret) throws IOException {
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(SECRET));
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        writer.write(channel);
        channel.force(true);
      }
      if (!isSecret) {
        Files.setPosixFilePermissions(tmp, PUBLIC);
      }
      return tmp;
    } catch (IOException | RuntimeException | Error e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  private static void move(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  // a rename is durable only once its directory is synced
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // some file systems do not open directories; the rename is still atomic
    }
  }
}
