package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsrSigningTest {
  private static CertificateAuthority ca;

  @BeforeAll
  static void createCa() {
    ca = CertificateAuthority.createRoot("CSR CA", Duration.ofDays(30), KeyType.EC_P256);
  }

  private static CertificateSigningRequest csr(String cn, String... dns) {
    return CertificateSigningRequest.create(cn, List.of(dns), List.of(), KeyType.EC_P256);
  }

  @Test
  @DisplayName("a party's CSR under the allowed domain is signed: its key stays local, the certificate carries its names and identity")
  void signsWithinPolicy(@TempDir Path dir) throws Exception {
    CertificateSigningRequest request = csr("alice", "alice.party.example.org", "*.alice.party.example.org");
    request.writeTo(dir);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.key")))).isEqualTo("rw-------");
    CertificateSigningRequest received = CertificateSigningRequest.read(dir.resolve("tls.csr"));
    IssuedCertificate signed = ca.sign(received, Role.PARTY, SigningPolicy.namesUnder("example.org"));
    assertThat(signed.hasPrivateKey()).isFalse();
    assertThat(signed.certificate().getPublicKey()).isEqualTo(received.publicKey());
    assertThat(CertificateAuthority.keyMatches(signed.certificate().getPublicKey(), request.privateKey())).isTrue();
    assertThat(Certificates.dnsNames(signed.certificate()))
        .containsExactly("alice.party.example.org", "*.alice.party.example.org");
    assertThat(Certificates.uris(signed.certificate())).containsExactly("spiffe://example.org/party/alice");
    assertThat(Certificates.extendedKeyUsages(signed.certificate())).containsExactlyInAnyOrder("serverAuth", "clientAuth");
  }

  @Test
  @DisplayName("a SAN outside the allowed domain is refused with a message naming that SAN")
  void refusesForeignSan() {
    CertificateSigningRequest request = csr("alice", "alice.party.example.org", "www.bank.com");
    assertThatThrownBy(() -> ca.sign(request, Role.PARTY, SigningPolicy.namesUnder("example.org")))
        .isInstanceOf(PkiException.class)
        .hasMessage("SAN DNS:www.bank.com is outside the allowed domain example.org");
  }

  @Test
  @DisplayName("a look-alike domain (evilexample.org) is not 'under' example.org")
  void refusesLookAlike() {
    assertThatThrownBy(() -> ca.sign(csr("a", "a.evilexample.org"), Role.PARTY, SigningPolicy.namesUnder("example.org")))
        .hasMessageContaining("SAN DNS:a.evilexample.org is outside the allowed domain example.org");
  }

  @Test
  @DisplayName("IP SANs are refused under a domain policy and signed without one")
  void ipSans() {
    CertificateSigningRequest request =
        CertificateSigningRequest.create("alice", List.of("alice.party.example.org"), List.of("10.1.2.3"), KeyType.EC_P256);
    assertThatThrownBy(() -> ca.sign(request, Role.PARTY, SigningPolicy.namesUnder("example.org")))
        .hasMessageContaining("SAN IP:10.1.2.3 is not allowed");
    IssuedCertificate signed = ca.sign(request, Role.PARTY, SigningPolicy.anyName());
    assertThat(Certificates.ipAddresses(signed.certificate())).containsExactly("10.1.2.3");
  }

  @Test
  @DisplayName("a CSR whose signature does not verify (tampered subject) is refused")
  void refusesBadSignature() throws Exception {
    CertificateSigningRequest good = csr("alice", "alice.party.example.org");
    CertificateSigningRequest other = csr("mallory", "mallory.party.example.org");
    // alice's request info signed... with mallory's signature: the signature no longer matches
    var info = good.toPkcs10().toASN1Structure().getCertificationRequestInfo();
    var tampered = new org.bouncycastle.asn1.pkcs.CertificationRequest(info,
        other.toPkcs10().getSignatureAlgorithm(), new org.bouncycastle.asn1.DERBitString(other.toPkcs10().getSignature()));
    CertificateSigningRequest forged = CertificateSigningRequest.of(new PKCS10CertificationRequest(tampered));
    assertThat(forged.signatureIsValid()).isFalse();
    assertThatThrownBy(() -> ca.sign(forged, Role.PARTY, SigningPolicy.anyName()))
        .hasMessageContaining("CSR signature does not verify");
  }

  @Test
  @DisplayName("a policy limited to a role refuses the other role; a URI SAN claiming another name or domain is refused, its own is kept")
  void roleAndUri() {
    assertThatThrownBy(() -> ca.sign(csr("alice", "alice.party.example.org"), Role.SERVER,
        SigningPolicy.namesUnder("example.org").onlyRoles(Role.PARTY)))
        .hasMessageContaining("role server is not allowed");
    var claimsBob = CertificateSigningRequest.create("alice", List.of("alice.party.example.org"), List.of(),
        "spiffe://example.org/party/bob", KeyType.EC_P256);
    assertThatThrownBy(() -> ca.sign(claimsBob, Role.PARTY, SigningPolicy.namesUnder("example.org")))
        .hasMessageContaining("SAN URI:spiffe://example.org/party/bob is not allowed");
    var otherDomain = CertificateSigningRequest.create("alice", List.of("alice.party.example.org"), List.of(),
        "spiffe://evil.org/party/alice", KeyType.EC_P256);
    assertThatThrownBy(() -> ca.sign(otherDomain, Role.PARTY, SigningPolicy.namesUnder("example.org")))
        .hasMessageContaining("SAN URI:spiffe://evil.org/party/alice is outside the allowed domain example.org");
    var own = CertificateSigningRequest.create("alice", List.of("alice.party.example.org"), List.of(),
        "spiffe://example.org/party/alice", KeyType.EC_P256);
    assertThat(Certificates.uris(ca.sign(own, Role.PARTY, SigningPolicy.namesUnder("example.org")).certificate()))
        .containsExactly("spiffe://example.org/party/alice");
  }

  @Test
  @DisplayName("an RSA CSR is signed with an RSA key in the certificate")
  void rsaCsr() {
    var request = CertificateSigningRequest.create("bob", List.of("bob.party.example.org"), List.of(), KeyType.RSA_2048);
    IssuedCertificate signed = ca.sign(request, Role.PARTY, SigningPolicy.namesUnder("party.example.org"));
    assertThat(KeyType.of(signed.certificate().getPublicKey())).isEqualTo(KeyType.RSA_2048);
  }
}
