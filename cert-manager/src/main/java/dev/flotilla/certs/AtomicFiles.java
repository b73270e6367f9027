package dev.flotilla.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a set of files so that a reader never sees a partial one: every file is first written
 * in full to a temporary file beside it, then each is moved into place atomically. If anything
 * fails before the moves, no target file is touched.
 */
public final class AtomicFiles {
  private static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

  private final Map<Path, String> contents = new LinkedHashMap<>();
  private final Map<Path, Boolean> secret = new LinkedHashMap<>();

  /** A public file (mode 0644), e.g. a certificate. */
  public AtomicFiles add(Path path, String content) {
    contents.put(path, content);
    secret.put(path, false);
    return this;
  }

  /** A secret file (mode 0600 from the moment it exists), e.g. a private key. */
  public AtomicFiles addSecret(Path path, String content) {
    contents.put(path, content);
    secret.put(path, true);
    return this;
  }

  public void write() {
    List<Path[]> staged = new ArrayList<>();
    try {
      for (Map.Entry<Path, String> e : contents.entrySet()) {
        Path target = e.getKey().toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        boolean isSecret = secret.get(e.getKey());
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
            PosixFilePermissions.asFileAttribute(SECRET));
        staged.add(new Path[] {tmp, target});
        Files.writeString(tmp, e.getValue(), StandardCharsets.US_ASCII);
        if (!isSecret) {
          Files.setPosixFilePermissions(tmp, PUBLIC);
        }
      }
      for (Path[] move : staged) {
        try {
          Files.move(move[0], move[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(move[0], move[1], StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      for (Path[] move : staged) {
        try {
          Files.deleteIfExists(move[0]);
        } catch (IOException ignored) {
          // best effort: the temporary file is hidden and named after its target
        }
      }
      throw new PkiException(describe(e), e);
    }
  }

  static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + ((FileSystemException) e).getFile();
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file or directory: " + ((FileSystemException) e).getFile();
    }
    if (e instanceof java.nio.file.FileAlreadyExistsException) {
      return "not a directory or already exists: " + ((FileSystemException) e).getFile();
    }
    if (e instanceof FileSystemException) {
      FileSystemException fse = (FileSystemException) e;
      return (fse.getReason() != null ? fse.getReason() : "I/O error") + ": " + fse.getFile();
    }
    return "I/O error: " + e.getMessage();
  }
}
