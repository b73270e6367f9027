package dev.flotilla.certs;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code --ca} means in every Flotilla command: the CA's certificate {@code ca.crt}, or the
 * directory holding it (what {@code certs init-ca --out} wrote). Servers and parties trust that
 * certificate; the commands that sign ({@code certs issue}, {@code sign}, {@code renew}) also read
 * the CA key, {@code ca.key}, from beside it.
 */
public final class CaLocation {
  private CaLocation() {}

  /** The CA certificate that {@code ca} names: the file itself, or {@code ca.crt} in the directory. */
  public static Path certificate(Path ca) {
    return Files.isDirectory(ca) ? ca.resolve(CertificateAuthority.CERTIFICATE_FILE) : ca;
  }

  /**
   * The directory of a CA that signs ({@code ca.crt}, {@code ca.key}): {@code ca} itself, or the
   * directory of {@code ca.crt}. A certificate file of another name has no key known to be beside it.
   */
  public static Path signingDirectory(Path ca) {
    if (Files.isDirectory(ca) || !Files.exists(ca)) {
      return ca; // loading a CA from a directory that is not there says so
    }
    Path name = ca.getFileName();
    if (name == null || !name.toString().equals(CertificateAuthority.CERTIFICATE_FILE)) {
      throw new IllegalArgumentException("--ca " + ca + ": to sign, name the CA directory of 'certs init-ca' (or its "
          + CertificateAuthority.CERTIFICATE_FILE + ", with " + CertificateAuthority.KEY_FILE + " beside it)");
    }
    Path parent = ca.toAbsolutePath().getParent();
    return ca.getParent() != null ? ca.getParent() : parent;
  }
}
