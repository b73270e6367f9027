package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.flotilla.testing.ScratchDirectories;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.DisplayName;

/**
 * Fuzz harnesses of what the CA reads from requesters: PKCS#10 CSRs (read from PEM, checked by
 * {@link SigningPolicy}, signed by {@link CertificateAuthority#sign}) and PEM files of certificates,
 * keys and CSRs. A CSR's signature only proves the requester holds its key, so any content can come
 * signed: {@link #signCsr} also re-signs each input's request info with a key of its own, which is
 * what lets the fuzzer past the signature check into the policy. Inputs under
 * {@code CsrFuzzTestInputs/} (CSRs and certificates: public material only) are replayed by every
 * {@code mvn verify}; {@code bench/fuzz.sh} fuzzes; {@link CsrSeeds} writes the seeds.
 */
class CsrFuzzTest {

  static final String DOMAIN = "fuzz.example.org";
  private static final CertificateAuthority CA =
      JobPki.newAuthority("fuzz-ca", Duration.ofDays(2));
  private static final KeyPair HOLDER = KeyType.EC_P256.generate();
  private static final ContentSigner HOLDER_SIGNER = signer(HOLDER.getPrivate());
  static final String JOB = "job1";
  private static final List<SigningPolicy> POLICIES =
      List.of(SigningPolicy.forTrustDomain(DOMAIN), SigningPolicy.forTrustDomain(DOMAIN).onlyJob(JOB));
  private static final Path DIR = ScratchDirectories.deletedAtExit("csr-fuzz");

  @FuzzTest
  @DisplayName("a CSR in any bytes, as sent and re-signed by its holder, is signed or refused with PkiException only; "
      + "what is signed carries the CSR's key, one identity of the policy's trust domain (and job) in the role it is "
      + "signed for, DNS names of that role's zone, no IP, and the role's usages")
  void signCsr(byte[] der) throws IOException {
    CertificateSigningRequest asSent;
    try {
      asSent = CertificateSigningRequest.read(pemFile("CERTIFICATE REQUEST", der));
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
      asSent = null;
    }
    if (asSent != null) {
      signWithEveryPolicy(asSent);
    }
    CertificationRequestInfo info;
    try {
      info = CertificationRequest.getInstance(ASN1Primitive.fromByteArray(der)).getCertificationRequestInfo();
      info = new CertificationRequestInfo(info.getSubject(), SubjectPublicKeyInfo.getInstance(HOLDER.getPublic().getEncoded()),
          info.getAttributes());
    } catch (IOException | RuntimeException notARequestInfo) {
      return; // nothing a requester could sign
    }
    HOLDER_SIGNER.getOutputStream().write(info.getEncoded("DER"));
    PKCS10CertificationRequest resigned = new PKCS10CertificationRequest(
        new CertificationRequest(info, HOLDER_SIGNER.getAlgorithmIdentifier(),
            new org.bouncycastle.asn1.DERBitString(HOLDER_SIGNER.getSignature())));
    signWithEveryPolicy(CertificateSigningRequest.read(pemFile("CERTIFICATE REQUEST", resigned.getEncoded())));
  }

  @FuzzTest
  @DisplayName("any file is read as certificates, a private key and a CSR or refused with PkiException only; "
      + "certificates and keys that are read write back to PEM that reads the same; a certificate's names, usages and "
      + "renewal request are read or refused with PkiException")
  void readPem(byte[] input) throws IOException {
    Path file = DIR.resolve("input.pem");
    Files.write(file, input);
    try {
      List<X509Certificate> certificates = Pem.readCertificates(file);
      assertThat(Pem.parseCertificates(Pem.encode(certificates), "re-encoded")).isEqualTo(certificates);
      for (X509Certificate certificate : certificates) {
        describe(certificate);
      }
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
    try {
      PrivateKey key = Pem.readPrivateKey(file);
      assertThat(Pem.parsePrivateKey(Pem.encode(key), "re-encoded")).isEqualTo(key);
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
    try {
      CertificateSigningRequest csr = CertificateSigningRequest.read(file);
      csr.commonName();
      csr.subjectAltNames();
      csr.requestedExtendedKeyUsages();
      csr.signatureIsValid();
    } catch (PkiException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
  }

  /** What {@code certs show} and a renewal read from a certificate: PkiException is the only refusal. */
  private static void describe(X509Certificate certificate) {
    Certificates.commonName(certificate);
    Certificates.dnsNames(certificate);
    Certificates.ipAddresses(certificate);
    Certificates.uris(certificate);
    Certificates.extendedKeyUsages(certificate);
    Certificates.isCa(certificate);
    try {
      Identity.of(certificate);
    } catch (PkiException noIdentity) {
      assertThat(noIdentity.getMessage()).isNotBlank();
    }
    Certificates.requestOf(certificate);
  }

  private static void signWithEveryPolicy(CertificateSigningRequest csr) {
    for (Role role : Role.values()) {
      for (SigningPolicy policy : POLICIES) {
        IssuedCertificate issued;
        try {
          issued = CA.sign(csr, role, policy, Duration.ofDays(1));
        } catch (PkiException refused) {
          assertThat(refused.getMessage()).isNotBlank();
          continue;
        }
        checkIssued(csr, role, policy, issued.certificate());
      }
    }
  }

  private static void checkIssued(CertificateSigningRequest csr, Role role, SigningPolicy policy, X509Certificate cert) {
    try {
      cert.verify(CA.certificate().getPublicKey());
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError("issued certificate does not verify with the CA key", e);
    }
    assertThat(cert.getPublicKey()).isEqualTo(csr.publicKey());
    Identity identity = Identity.of(cert);
    assertThat(identity.role()).isEqualTo(role);
    assertThat(identity.trustDomain()).isEqualTo(DOMAIN);
    if (policy == POLICIES.get(1)) {
      assertThat(identity.job()).isEqualTo(JOB);
    }
    assertThat(Certificates.commonName(cert)).isEqualTo(identity.name());
    assertThat(csr.commonName()).isIn("", identity.name());
    for (String dns : Certificates.dnsNames(cert)) {
      assertThat(identity.checkDnsName(dns)).isEqualTo(dns.toLowerCase(Locale.ROOT));
    }
    assertThat(Certificates.ipAddresses(cert)).isEmpty();
    List<String> allowedUsages = role == Role.SERVER ? List.of("serverAuth") : List.of("serverAuth", "clientAuth");
    assertThat(Certificates.extendedKeyUsages(cert)).isSubsetOf(allowedUsages);
  }

  private static Path pemFile(String type, byte[] der) throws IOException {
    Path file = DIR.resolve("request.pem");
    String pem = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
    Files.writeString(file, pem, StandardCharsets.US_ASCII);
    return file;
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(KeyType.EC_P256.signatureAlgorithm()).build(key);
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }
}
