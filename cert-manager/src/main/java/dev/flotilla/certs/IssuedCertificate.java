package dev.flotilla.certs;

import dev.flotilla.common.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A leaf certificate with its private key (absent when it was signed from a CSR, whose key stays
 * with the requester), the intermediate chain that links it to the root, and the root itself.
 */
public final class IssuedCertificate {
  public static final String CERTIFICATE_FILE = "tls.crt";
  public static final String KEY_FILE = "tls.key";
  public static final String CA_FILE = "ca.crt";

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final List<X509Certificate> chain;
  private final X509Certificate trustAnchor;

  IssuedCertificate(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain,
      X509Certificate trustAnchor) {
    this.certificate = Objects.requireNonNull(certificate);
    this.privateKey = privateKey;
    this.chain = List.copyOf(chain);
    this.trustAnchor = Objects.requireNonNull(trustAnchor);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The private key; throws {@link IllegalStateException} for a certificate signed from a CSR. */
  public PrivateKey privateKey() {
    if (privateKey == null) {
      throw new IllegalStateException("no private key: this certificate was signed from a CSR, its key stays with the requester");
    }
    return privateKey;
  }

  public boolean hasPrivateKey() {
    return privateKey != null;
  }

  /** The intermediate CA certificates between the leaf and the root, issuer first; empty when the root signed it. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The root CA certificate, the trust anchor peers verify this certificate against (ca.crt). */
  public X509Certificate caCertificate() {
    return trustAnchor;
  }

  /** Leaf followed by the chain: the content of tls.crt. */
  public List<X509Certificate> certificateChain() {
    List<X509Certificate> all = new ArrayList<>();
    all.add(certificate);
    all.addAll(chain);
    return all;
  }

  public String fingerprint() {
    return Fingerprints.sha256(certificate);
  }

  /**
   * Whether a renewal of this certificate may ask for {@code key}, kept from an earlier attempt: of this key's type, and not
   * this certificate's key (then that renewal was stored already, and a new key is made).
   */
  public boolean renewableWith(java.security.KeyPair key) {
    return KeyType.of(key.getPublic()) == KeyType.of(certificate.getPublicKey()) && !key.getPublic().equals(certificate.getPublicKey());
  }

  public boolean needsRenewal(Instant now) {
    return RenewalPolicy.needsRenewal(certificate, now);
  }

  /**
   * Writes dir/tls.crt (leaf then chain), dir/tls.key (mode 0600, when the key is known) and
   * dir/ca.crt, all or none.
   */
  public void writeTo(Path dir) {
    AtomicFiles.Batch files = AtomicFiles.batch()
        .add(dir.resolve(CERTIFICATE_FILE), Pem.encode(certificateChain()))
        .add(dir.resolve(CA_FILE), Pem.encode(trustAnchor));
    if (privateKey != null) {
      files.addSecret(dir.resolve(KEY_FILE), Pem.encode(privateKey));
    }
    try {
      files.write();
    } catch (IOException e) {
      throw PkiException.io(e);
    }
  }

  /** From PEM text: the certificate chain (leaf first), the key (null when unknown) and the root CA. */
  public static IssuedCertificate fromPem(String certificateChain, String privateKey, String caCertificate) {
    List<X509Certificate> certs = Pem.parseCertificates(certificateChain, CERTIFICATE_FILE);
    X509Certificate ca = Pem.parseCertificates(caCertificate, CA_FILE).get(0);
    PrivateKey key = privateKey == null ? null : Pem.parsePrivateKey(privateKey, KEY_FILE);
    return new IssuedCertificate(certs.get(0), key, certs.subList(1, certs.size()), ca);
  }

  /** Reads dir/tls.crt, dir/ca.crt and, when present, dir/tls.key. */
  public static IssuedCertificate load(Path dir) {
    List<X509Certificate> certs = Pem.readCertificates(dir.resolve(CERTIFICATE_FILE));
    X509Certificate ca = Pem.readCertificate(dir.resolve(CA_FILE));
    Path keyFile = dir.resolve(KEY_FILE);
    PrivateKey key = Files.exists(keyFile) ? Pem.readPrivateKey(keyFile) : null;
    return new IssuedCertificate(certs.get(0), key, certs.subList(1, certs.size()), ca);
  }
}
