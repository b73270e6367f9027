package dev.flotilla.demo;

import java.nio.file.Path;

/** The three PEM files a server or party is started with: its chain, its key and the trusted CA. */
public record TlsPaths(Path certificate, Path privateKey, Path trustedCa) {

  /** The layout of {@code IssuedCertificate.writeTo(dir)}: tls.crt, tls.key, ca.crt. */
  public static TlsPaths inDirectory(Path dir) {
    return new TlsPaths(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"));
  }
}
