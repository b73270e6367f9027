package dev.flotilla.certs;

import dev.flotilla.common.AtomicFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority: a root (self-signed) or an intermediate, with its private key. It issues
 * leaf certificates for servers and parties ({@link #issue}) and signs CSRs within a
 * {@link SigningPolicy} ({@link #sign}).
 *
 * <p>On disk: {@code ca.crt} (this CA's certificate), {@code ca.key} (mode 0600) and, for an
 * intermediate, {@code ca-chain.crt} (its issuers up to the root).
 */
public final class CertificateAuthority implements CertificateIssuer {
  public static final String CERTIFICATE_FILE = "ca.crt";
  public static final String KEY_FILE = "ca.key";
  public static final String CHAIN_FILE = "ca-chain.crt";
  /** notBefore is set this far in the past, so hosts whose clocks lag a little accept new certificates. */
  static final Duration BACKDATE = Duration.ofMinutes(1);

  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final List<X509Certificate> issuers;

  private CertificateAuthority(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> issuers) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.issuers = List.copyOf(issuers);
  }

  /** A new self-signed root CA with a fresh key. */
  public static CertificateAuthority createRoot(String commonName, Duration lifetime, KeyType keyType) {
    checkLifetime(lifetime);
    KeyPair keys = keyType.generate();
    X500Name subject = subject(commonName);
    Instant now = Instant.now();
    X509Certificate cert = build(subject, keys.getPublic(), subject, keys.getPrivate(), keyType, null,
        newSerial(), now.minus(BACKDATE), now.plus(lifetime), builder -> {
          builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
          builder.addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        });
    return new CertificateAuthority(cert, keys.getPrivate(), List.of());
  }

  /**
   * A new intermediate CA signed by this one (path length 0: it issues leaves only). Its lifetime
   * is cut to this CA's own expiry.
   */
  public CertificateAuthority createIntermediate(String commonName, Duration lifetime, KeyType keyType) {
    checkLifetime(lifetime);
    checkValid(Instant.now());
    KeyPair keys = keyType.generate();
    Instant now = Instant.now();
    X509Certificate cert = build(subject(commonName), keys.getPublic(), issuerName(), privateKey,
        KeyType.of(privateKey), certificate, newSerial(), now.minus(BACKDATE), cap(now.plus(lifetime)), builder -> {
          builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
          builder.addExtension(Extension.keyUsage, true,
              new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        });
    List<X509Certificate> parents = new ArrayList<>();
    parents.add(certificate);
    parents.addAll(issuers);
    return new CertificateAuthority(cert, keys.getPrivate(), parents);
  }

  /** Reads dir/ca.crt, dir/ca.key and, when present, dir/ca-chain.crt; checks that key and certificate belong together. */
  public static CertificateAuthority load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new PkiException("CA directory does not exist: " + dir, new java.nio.file.NoSuchFileException(dir.toString()));
    }
    X509Certificate cert = Pem.readCertificate(dir.resolve(CERTIFICATE_FILE));
    PrivateKey key = Pem.readPrivateKey(dir.resolve(KEY_FILE));
    Path chainFile = dir.resolve(CHAIN_FILE);
    List<X509Certificate> parents = Files.exists(chainFile) ? Pem.readCertificates(chainFile) : List.of();
    return checked(cert, key, parents, dir.resolve(CERTIFICATE_FILE).toString(), dir.resolve(KEY_FILE).toString());
  }

  /**
   * A root CA from PEM text held in memory (a Kubernetes Secret's {@code ca.crt} and {@code ca.key}),
   * so the key never touches a file; same checks as {@link #load}. {@code source} names the text in
   * error messages.
   */
  public static CertificateAuthority fromPem(String certificatePem, String privateKeyPem, String source) {
    X509Certificate cert = Pem.parseCertificates(certificatePem, source + " " + CERTIFICATE_FILE).get(0);
    PrivateKey key = Pem.parsePrivateKey(privateKeyPem, source + " " + KEY_FILE);
    return checked(cert, key, List.of(), source + " " + CERTIFICATE_FILE, source + " " + KEY_FILE);
  }

  private static CertificateAuthority checked(X509Certificate cert, PrivateKey key, List<X509Certificate> parents,
      String certSource, String keySource) {
    if (!Certificates.isCa(cert)) {
      throw new PkiException(certSource + " is not a CA certificate (no basicConstraints CA:TRUE)");
    }
    if (!keyMatches(cert.getPublicKey(), key)) {
      throw new PkiException(keySource + " does not belong to " + certSource);
    }
    return new CertificateAuthority(cert, key, parents);
  }

  /** The private key as PKCS#8 PEM, for a store that keeps it in memory (a Kubernetes Secret); never log it. */
  public String privateKeyPem() {
    return Pem.encode(privateKey);
  }

  /** Writes dir/ca.crt, dir/ca.key (mode 0600) and, for an intermediate, dir/ca-chain.crt; all or none. */
  public void writeTo(Path dir) {
    AtomicFiles.Batch files = AtomicFiles.batch()
        .add(dir.resolve(CERTIFICATE_FILE), Pem.encode(certificate))
        .addSecret(dir.resolve(KEY_FILE), Pem.encode(privateKey));
    if (!issuers.isEmpty()) {
      files.add(dir.resolve(CHAIN_FILE), Pem.encode(issuers));
    }
    try {
      files.write();
    } catch (IOException e) {
      throw PkiException.io(e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** The root at the top of this CA's chain (this CA itself for a root): what peers trust, ca.crt of issued leaves. */
  @Override
  public X509Certificate rootCertificate() {
    return issuers.isEmpty() ? certificate : issuers.get(issuers.size() - 1);
  }

  /** This CA's issuers up to the root, issuer first; empty for a root. */
  public List<X509Certificate> issuers() {
    return issuers;
  }

  public boolean isRoot() {
    return issuers.isEmpty();
  }

  public KeyType keyType() {
    return KeyType.of(privateKey);
  }

  /** Issues a leaf certificate with a fresh key; its lifetime is cut to this CA's own expiry. */
  @Override
  public IssuedCertificate issue(LeafRequest request) {
    KeyPair keys = request.keyType().generate();
    return new IssuedCertificate(signLeaf(request, keys.getPublic()), keys.getPrivate(), leafChain(), rootCertificate());
  }

  /**
   * Signs a CSR for {@code role} if {@code policy} allows every name in it; otherwise refuses with a
   * {@link PkiException} naming the offending SAN. The result carries no private key.
   */
  public IssuedCertificate sign(CertificateSigningRequest csr, Role role, SigningPolicy policy, Duration lifetime) {
    LeafRequest request = policy.check(csr, role, lifetime);
    return new IssuedCertificate(signLeaf(request, csr.publicKey()), null, leafChain(), rootCertificate());
  }

  /**
   * Signs {@code csr} again as the certificate of serial {@code serial} ending at {@code notAfter}, which this CA issued
   * before for the same key and whose holder never received it (an answer lost on the way): checked by {@code policy} as
   * {@link #sign} checks, valid from now. Same serial, so revoking that serial revokes every copy; the caller checks
   * that the key is the one it was issued for. The result carries no private key.
   */
  public IssuedCertificate signAgain(CertificateSigningRequest csr, Role role, SigningPolicy policy, BigInteger serial,
      Instant notAfter) {
    Instant now = Instant.now();
    if (!notAfter.isAfter(now)) {
      throw new PkiException("the certificate of serial " + serial.toString(16) + " expired at " + notAfter);
    }
    LeafRequest request = policy.check(csr, role, Duration.between(now, notAfter));
    return new IssuedCertificate(signLeaf(request, csr.publicKey(), serial, now, notAfter), null, leafChain(), rootCertificate());
  }

  /** Signs with the default leaf lifetime. */
  public IssuedCertificate sign(CertificateSigningRequest csr, Role role, SigningPolicy policy) {
    return sign(csr, role, policy, LeafRequest.DEFAULT_LIFETIME);
  }

  private List<X509Certificate> leafChain() {
    if (issuers.isEmpty()) {
      return List.of();
    }
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    chain.addAll(issuers.subList(0, issuers.size() - 1));
    return chain;
  }

  private X509Certificate signLeaf(LeafRequest request, PublicKey publicKey) {
    Instant now = Instant.now();
    return signLeaf(request, publicKey, newSerial(), now, now.plus(request.lifetime()));
  }

  private X509Certificate signLeaf(LeafRequest request, PublicKey publicKey, BigInteger serial, Instant now, Instant notAfter) {
    checkValid(now);
    Set<KeyPurposeId> usages = request.role().extendedKeyUsages(request.clientOnly());
    return build(subject(request.commonName()), publicKey, issuerName(), privateKey, KeyType.of(privateKey),
        certificate, serial, now.minus(BACKDATE), cap(notAfter), builder -> {
          builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
          int keyUsage = KeyUsage.digitalSignature | (request.keyType().isRsa() ? KeyUsage.keyEncipherment : 0);
          builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
          builder.addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(usages.stream()
                  .sorted((a, b) -> a.getId().compareTo(b.getId()))
                  .toArray(KeyPurposeId[]::new)));
          List<GeneralName> names = new ArrayList<>();
          request.dnsNames().forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
          names.add(new GeneralName(GeneralName.uniformResourceIdentifier, request.uri()));
          builder.addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(names.toArray(GeneralName[]::new)));
        });
  }

  private void checkValid(Instant now) {
    if (now.isAfter(certificate.getNotAfter().toInstant())) {
      throw new PkiException("CA certificate '" + Certificates.commonName(certificate) + "' expired at "
          + certificate.getNotAfter().toInstant());
    }
    if (now.isBefore(certificate.getNotBefore().toInstant())) {
      throw new PkiException("CA certificate '" + Certificates.commonName(certificate) + "' is not valid before "
          + certificate.getNotBefore().toInstant());
    }
  }

  private Instant cap(Instant notAfter) {
    Instant caNotAfter = certificate.getNotAfter().toInstant();
    return notAfter.isAfter(caNotAfter) ? caNotAfter : notAfter;
  }

  private X500Name issuerName() {
    try {
      return new JcaX509CertificateHolder(certificate).getSubject();
    } catch (GeneralSecurityException e) {
      throw new PkiException("corrupt CA certificate: " + e.getMessage(), e);
    }
  }

  private static X500Name subject(String commonName) {
    String cn = Objects.requireNonNull(commonName, "commonName");
    if (cn.isBlank()) {
      throw new PkiException("empty common name");
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
  }

  private static void checkLifetime(Duration lifetime) {
    if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
      throw new PkiException("CA lifetime must be positive, was " + lifetime);
    }
  }

  @FunctionalInterface
  private interface Extensions {
    void add(X509v3CertificateBuilder builder) throws CertIOException;
  }

  private static X509Certificate build(X500Name subject, PublicKey subjectKey, X500Name issuer, PrivateKey signingKey,
      KeyType signingKeyType, X509Certificate issuerCert, BigInteger serial, Instant notBefore, Instant notAfter,
      Extensions extensions) {
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, serial, Date.from(notBefore),
          Date.from(notAfter), subject, subjectKey);
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
      builder.addExtension(Extension.authorityKeyIdentifier, false, issuerCert == null
          ? utils.createAuthorityKeyIdentifier(subjectKey)
          : utils.createAuthorityKeyIdentifier(issuerCert.getPublicKey()));
      extensions.add(builder);
      ContentSigner signer = new JcaContentSignerBuilder(signingKeyType.signatureAlgorithm()).build(signingKey);
      return Pem.toCertificate(builder.build(signer), subject);
    } catch (CertIOException | GeneralSecurityException | OperatorCreationException e) {
      throw new PkiException("cannot build certificate for " + subject + ": " + e.getMessage(), e);
    }
  }

  /** A positive serial of at most 20 bytes, random: unique without a register of what was issued. */
  private static BigInteger newSerial() {
    return new BigInteger(159, RANDOM).add(BigInteger.ONE);
  }

  /** True when the private key signs what the public key verifies. */
  public static boolean keyMatches(PublicKey publicKey, PrivateKey privateKey) {
    try {
      KeyType type = KeyType.of(publicKey);
      if (KeyType.of(privateKey).isRsa() != type.isRsa()) {
        return false;
      }
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      Signature signer = Signature.getInstance(type.signatureAlgorithm());
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(type.signatureAlgorithm());
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | PkiException e) {
      return false;
    }
  }
}
