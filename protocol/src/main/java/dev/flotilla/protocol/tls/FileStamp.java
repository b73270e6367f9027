package dev.flotilla.protocol.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;

/** What identifies a version of a set of files: inode, size and modification time of each (an atomic move changes the inode). */
public record FileStamp(List<Object> parts) {
  public static FileStamp of(Path... files) {
    Object[] parts = new Object[files.length * 3];
    for (int i = 0; i < files.length; i++) {
      try {
        BasicFileAttributes a = Files.readAttributes(files[i], BasicFileAttributes.class);
        parts[3 * i] = Objects.requireNonNullElse(a.fileKey(), "");
        parts[3 * i + 1] = a.size();
        parts[3 * i + 2] = a.lastModifiedTime().toMillis() * 1_000_000L + a.lastModifiedTime().toInstant().getNano() % 1_000_000;
      } catch (IOException e) {
        parts[3 * i] = "missing";
        parts[3 * i + 1] = -1L;
        parts[3 * i + 2] = -1L;
      }
    }
    return new FileStamp(List.of(parts));
  }
}
