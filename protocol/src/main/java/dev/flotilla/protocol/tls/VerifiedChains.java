package dev.flotilla.protocol.tls;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.Pem;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Client certificate chains one party has verified against its CA ({@link TrustedChains#verifiedClient}), kept so
 * that a chain met again (a neighbour's, round after round) costs a lookup and a check of its validity period, not a
 * path validation; and its leaf's key, converted once for {@link FastSignatures}, keeps the tables that halve the
 * cost of each later signature check with it. A chain is kept only after it verified, under the SHA-256 of its
 * certificates (so an entry is about 2 KiB whatever the chain's size); the cache is bounded (least recently used
 * out) and emptied whenever the CA file's text changes, so a changed CA bundle applies at once.
 */
public final class VerifiedChains {
  /** Chains kept: a party meets its neighbours' chains, a few per party of its job. */
  public static final int DEFAULT_CAPACITY = 1024;

  /** A verified chain: its leaf's identity, and its key as {@link FastSignatures}' object with its algorithm. */
  public record Verified(PeerIdentity identity, PublicKey leafKey, String signatureAlgorithm) {}

  /** A kept chain and when it stops being valid: the latest notBefore and earliest notAfter of its certificates. */
  private record Kept(Verified verified, long validFrom, long validUntil) {}

  private final int capacity;
  private final Clock clock;
  private final Map<ByteString, Kept> kept;
  private String caText;
  private List<X509Certificate> cas;
  private Path caFile;

  public VerifiedChains() {
    this(DEFAULT_CAPACITY, Clock.systemUTC());
  }

  VerifiedChains(int capacity, Clock clock) {
    this.capacity = capacity;
    this.clock = clock;
    this.kept = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<ByteString, Kept> eldest) {
        return size() > VerifiedChains.this.capacity;
      }
    };
  }

  /**
   * Reads the CA file {@code trustedCa} (once for a batch of chains, e.g. a roster): when its text differs from the
   * last read, every kept chain is dropped.
   */
  public synchronized void useCa(Path trustedCa) {
    String text = Pem.readText(trustedCa);
    if (!text.equals(caText) || !trustedCa.equals(caFile)) {
      cas = Pem.parseCertificates(text, trustedCa.toString());
      caText = text;
      caFile = trustedCa;
      kept.clear();
    }
  }

  /**
   * The chain {@code der} (leaf first, DER) verified as a client's against the CA of the last {@link #useCa}, now.
   *
   * @throws GeneralSecurityException as {@link TrustedChains#verifiedClient} (or a certificate that cannot be read)
   */
  public synchronized Verified client(List<ByteString> der) throws GeneralSecurityException {
    long nowMillis = clock.millis();
    if (cas == null) {
      throw new IllegalStateException("no CA read yet: useCa first");
    }
    ByteString key = digest(der);
    Kept hit = kept.get(key);
    if (hit != null && nowMillis >= hit.validFrom() && nowMillis <= hit.validUntil()) {
      return hit.verified();
    }
    kept.remove(key); // expired (or not yet valid): verified again below, which says why it fails
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> chain = new ArrayList<>();
    for (ByteString certificate : der) {
      chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(certificate.toByteArray())));
    }
    PeerIdentity identity = TrustedChains.verifiedClient(chain, cas, caFile.toString(), new Date(nowMillis));
    long validFrom = Long.MIN_VALUE;
    long validUntil = Long.MAX_VALUE;
    for (X509Certificate certificate : chain) {
      if (!cas.contains(certificate)) { // as the path validation: the CA's own period is not checked
        validFrom = Math.max(validFrom, certificate.getNotBefore().getTime());
        validUntil = Math.min(validUntil, certificate.getNotAfter().getTime());
      }
    }
    PublicKey leafKey = chain.get(0).getPublicKey();
    Verified verified = new Verified(identity, FastSignatures.publicKey(leafKey),
        KeyType.of(leafKey).signatureAlgorithm());
    kept.put(key, new Kept(verified, validFrom, validUntil));
    return verified;
  }

  /** SHA-256 over each certificate's length and bytes, in order. */
  private static ByteString digest(List<ByteString> der) throws GeneralSecurityException {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    for (ByteString certificate : der) {
      sha256.update(ByteBuffer.allocate(4).putInt(0, certificate.size()));
      sha256.update(certificate.asReadOnlyByteBuffer());
    }
    return ByteString.copyFrom(sha256.digest());
  }

  /** How many chains are kept. */
  public synchronized int size() {
    return kept.size();
  }
}
