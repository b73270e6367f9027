package dev.flotilla.protocol.tls;

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
}
