package dev.flotilla.certs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;

/**
 * A request the PKI refuses or input it cannot use (corrupt PEM, SAN outside policy, expired CA...).
 * The message is one line that names the problem, fit to show a person as is.
 */
public class PkiException extends RuntimeException {
  public PkiException(String message) {
    super(message);
  }

  public PkiException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A failed read or write of the PKI's files, as one line that names the file. */
  static PkiException io(IOException e) {
    return new PkiException(describe(e), e);
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
