package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * CSRs and certificates whose structure Bouncy Castle or the JDK only parse on demand: a malformed
 * part must surface as a {@link PkiException} saying what is corrupt, as every other refusal does,
 * not as an IllegalArgumentException or RuntimeException from the library (fuzzer findings).
 */
class MalformedPkiInputsTest {
  private static final KeyPair REQUESTER = KeyType.EC_P256.generate();
  private static final CertificateAuthority CA =
      JobPki.newAuthority("malformed-inputs-ca", Duration.ofDays(1));

  @Test
  @DisplayName("a CSR signed by its key whose SAN extension is not valid DER is refused with PkiException naming the SANs")
  void malformedSanExtension() throws Exception {
    // a SEQUENCE that claims 99 bytes and has 1
    Extensions extensions = new Extensions(new Extension(Extension.subjectAlternativeName, false,
        new DEROctetString(new byte[] {0x30, 0x63, 0x01})));
    CertificateSigningRequest csr = CertificateSigningRequest.of(signed(new X500Name("CN=mallory"), extensions));

    assertThatThrownBy(csr::subjectAltNames).isInstanceOf(PkiException.class)
        .hasMessageStartingWith("corrupt subject alternative names in CSR: ");
    assertThatThrownBy(() -> CA.sign(csr, Role.PARTY, SigningPolicy.forTrustDomain("example.org"))).isInstanceOf(PkiException.class)
        .hasMessageStartingWith("corrupt subject alternative names in CSR: ");
  }

  @Test
  @DisplayName("a CSR signed by its key whose extended key usage extension is not valid DER is refused with PkiException")
  void malformedExtendedKeyUsage() throws Exception {
    Extensions extensions = new Extensions(new Extension(Extension.extendedKeyUsage, false,
        new DEROctetString(new byte[] {0x30, 0x05, 0x02, 0x01})));
    CertificateSigningRequest csr = CertificateSigningRequest.of(signed(new X500Name("CN=mallory"), extensions));

    assertThatThrownBy(csr::requestedExtendedKeyUsages).isInstanceOf(PkiException.class)
        .hasMessageStartingWith("corrupt extended key usage in CSR: ");
  }

  @Test
  @DisplayName("a CSR signed by its key whose subject holds a malformed RDN is refused with PkiException naming the subject")
  void malformedSubject() throws Exception {
    X500Name subject = X500Name.getInstance(new DERSequence(new DERSet(new DERTaggedObject(0, new DERUTF8String("x")))));
    // a valid identity, so the policy reads on to the subject
    Extensions identity = new Extensions(new Extension(Extension.subjectAlternativeName, false, new DEROctetString(
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier,
            "spiffe://example.org/job/job1/party/mallory")).getEncoded())));
    CertificateSigningRequest csr = CertificateSigningRequest.of(signed(subject, identity));

    assertThatThrownBy(csr::commonName).isInstanceOf(PkiException.class).hasMessageStartingWith("corrupt subject in CSR: ");
    assertThatThrownBy(() -> CA.sign(csr, Role.PARTY, SigningPolicy.forTrustDomain("example.org"))).isInstanceOf(PkiException.class)
        .hasMessageStartingWith("corrupt subject in CSR: ");
  }

  @Test
  @DisplayName("a certificate whose IP SAN has a non-contiguous mask is reported as corrupt (PkiException) when its "
      + "names are read, e.g. by certs show or a renewal")
  void certificateWithMalformedIpSan() throws Exception {
    // the JDK parses the SAN on first use and throws RuntimeException("IPAddress cannot be parsed") once per
    // certificate object (it caches what it parsed), so each read gets a certificate of its own
    assertThatThrownBy(() -> Certificates.ipAddresses(certificateWithMaskedIpSan(1))).isInstanceOf(PkiException.class)
        .hasMessageStartingWith("corrupt subject alternative names: ");
    assertThatThrownBy(() -> Certificates.dnsNames(certificateWithMaskedIpSan(2))).isInstanceOf(PkiException.class);
    assertThatThrownBy(() -> Certificates.requestOf(certificateWithMaskedIpSan(3))).isInstanceOf(PkiException.class);
    // and through PEM, as `certs show` reads it
    String pem = Pem.encode(certificateWithMaskedIpSan(4));
    X509Certificate read = Pem.parseCertificates(pem, "test").get(0);
    assertThatThrownBy(() -> Certificates.uris(read)).isInstanceOf(PkiException.class);
  }

  /** An IPv6 address with a mask of ff00ff00...: 32 octets as name constraints use, but no prefix length. */
  private static X509Certificate certificateWithMaskedIpSan(int serial) throws Exception {
    byte[] addressAndMask = new byte[32];
    addressAndMask[0] = (byte) 0xfd;
    addressAndMask[15] = 1;
    addressAndMask[16] = (byte) 0xff;
    addressAndMask[18] = (byte) 0xff;
    return selfSigned(serial, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "a.party.example.org"),
        new GeneralName(GeneralName.iPAddress, new DEROctetString(addressAndMask))}));
  }

  private static PKCS10CertificationRequest signed(X500Name subject, Extensions extensions) throws Exception {
    JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(subject, REQUESTER.getPublic());
    if (extensions != null) {
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions);
    }
    return builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(REQUESTER.getPrivate()));
  }

  private static X509Certificate selfSigned(int serial, GeneralNames sans) throws Exception {
    X500Name name = new X500Name("CN=alice");
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(serial),
        Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), name, REQUESTER.getPublic());
    builder.addExtension(Extension.subjectAlternativeName, false, sans);
    ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(REQUESTER.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
  }
}
