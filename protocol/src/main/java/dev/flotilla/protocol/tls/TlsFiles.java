package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The PEM files of one TLS identity: the certificate chain (leaf first), its private key
 * (PKCS#8), and the CA certificates trusted to verify peers.
 */
public record TlsFiles(Path certificateChain, Path privateKey, Path trustedCa) {
  public TlsFiles {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustedCa, "trustedCa");
  }

  /** dir/tls.crt, dir/tls.key, dir/ca.crt: the layout cert-manager writes and Kubernetes TLS Secrets mount. */
  public static TlsFiles inDirectory(Path dir) {
    return new TlsFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"));
  }

  /**
   * The identity of the certificate in {@link #certificateChain()} (its leaf).
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or carries no Flotilla identity
   */
  public Identity identity() {
    try {
      var chain = Pem.readCertificates(certificateChain);
      if (chain.isEmpty()) {
        throw new IllegalArgumentException(certificateChain + " holds no certificate");
      }
      return Identity.of(chain.get(0));
    } catch (PkiException e) {
      throw new IllegalArgumentException("cannot read the identity of " + certificateChain + ": " + e.getMessage(), e);
    }
  }
}
