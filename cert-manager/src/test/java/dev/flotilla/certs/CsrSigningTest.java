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
  private static final SigningPolicy EXAMPLE = SigningPolicy.forTrustDomain("example.org");
  private static CertificateAuthority ca;

  @BeforeAll
  static void createCa() {
    ca = JobPki.newAuthority("CSR CA", Duration.ofDays(30));
  }

  private static CertificateSigningRequest partyCsr(String name, String... dns) {
    return CertificateSigningRequest.create(Identity.party("example.org", "job1", name), List.of(dns), KeyType.EC_P256);
  }

  /** A CSR made by hand (as openssl would), with whatever CN and SANs a hostile requester chooses. */
  private static CertificateSigningRequest rawCsr(String cn, String... sans) {
    return CertificateSigningRequest.withSubjectAltNames(cn, List.of(sans), KeyType.EC_P256);
  }

  @Test
  @DisplayName("a party's CSR in its trust domain is signed: its key stays local, the certificate carries its names and identity")
  void signsWithinPolicy(@TempDir Path dir) throws Exception {
    CertificateSigningRequest request = partyCsr("alice", "job1.alice.party.example.org", "*.alice.party.example.org");
    request.writeTo(dir);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.key")))).isEqualTo("rw-------");
    CertificateSigningRequest received = CertificateSigningRequest.read(dir.resolve("tls.csr"));
    IssuedCertificate signed = ca.sign(received, Role.PARTY, EXAMPLE);
    assertThat(signed.hasPrivateKey()).isFalse();
    assertThat(signed.certificate().getPublicKey()).isEqualTo(received.publicKey());
    assertThat(CertificateAuthority.keyMatches(signed.certificate().getPublicKey(), request.privateKey())).isTrue();
    assertThat(Certificates.dnsNames(signed.certificate()))
        .containsExactly("job1.alice.party.example.org", "*.alice.party.example.org");
    assertThat(Certificates.uris(signed.certificate())).containsExactly("spiffe://example.org/job/job1/party/alice");
    assertThat(Certificates.extendedKeyUsages(signed.certificate())).containsExactlyInAnyOrder("serverAuth", "clientAuth");
  }

  @Test
  @DisplayName("a party CSR asking for the aggregator's host name is refused, naming the SAN and the rule")
  void refusesServerNameInPartyCsr() {
    CertificateSigningRequest request = rawCsr("mallory", "DNS:job1.server.example.org",
        "URI:spiffe://example.org/job/job1/party/mallory");
    assertThatThrownBy(() -> ca.sign(request, Role.PARTY, EXAMPLE))
        .isInstanceOf(PkiException.class)
        .hasMessage("SAN DNS:job1.server.example.org refused: DNS name job1.server.example.org is not allowed in a "
            + "party certificate of example.org: party names are <job>.<party>.party.example.org or <party>.party.example.org");
  }

  @Test
  @DisplayName("a party's CSR signed as a server is refused: the role comes from the identity, not from the signer's flag alone")
  void refusesRoleMismatch() {
    assertThatThrownBy(() -> ca.sign(partyCsr("alice", "job1.alice.party.example.org"), Role.SERVER, EXAMPLE))
        .hasMessage("CSR asks for the party identity spiffe://example.org/job/job1/party/alice but is being signed as role server");
  }

  @Test
  @DisplayName("names outside the trust domain and look-alike domains are refused")
  void refusesForeignNames() {
    assertThatThrownBy(() -> ca.sign(rawCsr("alice", "DNS:www.bank.com", "URI:spiffe://example.org/job/job1/party/alice"),
        Role.PARTY, EXAMPLE)).hasMessageStartingWith("SAN DNS:www.bank.com refused");
    assertThatThrownBy(() -> ca.sign(rawCsr("a", "DNS:a.party.evilexample.org", "URI:spiffe://example.org/job/job1/party/a"),
        Role.PARTY, EXAMPLE)).hasMessageStartingWith("SAN DNS:a.party.evilexample.org refused");
    assertThatThrownBy(() -> ca.sign(rawCsr("alice", "URI:spiffe://evil.org/job/job1/party/alice"), Role.PARTY, EXAMPLE))
        .hasMessage("CSR asks for identity spiffe://evil.org/job/job1/party/alice outside the trust domain example.org");
  }

  @Test
  @DisplayName("IP SANs, missing, extra or malformed identity URIs and a CN naming someone else are refused")
  void refusesOtherSans() {
    assertThatThrownBy(() -> ca.sign(rawCsr("alice", "IP:10.1.2.3", "URI:spiffe://example.org/job/job1/party/alice"),
        Role.PARTY, EXAMPLE)).hasMessageContaining("SAN IP:10.1.2.3 is not allowed");
    assertThatThrownBy(() -> ca.sign(rawCsr("alice", "DNS:alice.party.example.org"), Role.PARTY, EXAMPLE))
        .hasMessageStartingWith("CSR carries 0 URI SANs; it must ask for exactly one identity");
    assertThatThrownBy(() -> ca.sign(rawCsr("alice", "URI:spiffe://example.org/job/job1/party/alice",
        "URI:spiffe://example.org/job/job1/server/job1"), Role.PARTY, EXAMPLE))
        .hasMessageStartingWith("CSR carries 2 URI SANs");
    assertThatThrownBy(() -> ca.sign(rawCsr("alice", "URI:spiffe://example.org/party/alice"), Role.PARTY, EXAMPLE))
        .hasMessageContaining("a party identity must name its job");
    assertThatThrownBy(() -> ca.sign(rawCsr("bob", "URI:spiffe://example.org/job/job1/party/alice"), Role.PARTY, EXAMPLE))
        .hasMessage("CSR common name 'bob' differs from its identity's name 'alice'");
  }

  @Test
  @DisplayName("a CSR whose signature does not verify (tampered subject) is refused")
  void refusesBadSignature() throws Exception {
    CertificateSigningRequest good = partyCsr("alice", "job1.alice.party.example.org");
    CertificateSigningRequest other = partyCsr("mallory", "job1.mallory.party.example.org");
    // alice's request info signed... with mallory's signature: the signature no longer matches
    var info = good.toPkcs10().toASN1Structure().getCertificationRequestInfo();
    var tampered = new org.bouncycastle.asn1.pkcs.CertificationRequest(info,
        other.toPkcs10().getSignatureAlgorithm(), new org.bouncycastle.asn1.DERBitString(other.toPkcs10().getSignature()));
    CertificateSigningRequest forged = CertificateSigningRequest.of(new PKCS10CertificationRequest(tampered));
    assertThat(forged.signatureIsValid()).isFalse();
    assertThatThrownBy(() -> ca.sign(forged, Role.PARTY, EXAMPLE)).hasMessageContaining("CSR signature does not verify");
  }

  @Test
  @DisplayName("a policy limited to a role or a job refuses the others")
  void roleAndJobLimits() {
    assertThatThrownBy(() -> ca.sign(partyCsr("alice", "job1.alice.party.example.org"), Role.PARTY,
        EXAMPLE.onlyRoles(Role.SERVER))).hasMessageContaining("role party is not allowed");
    assertThatThrownBy(() -> ca.sign(partyCsr("alice"), Role.PARTY, EXAMPLE.onlyJob("job2")))
        .hasMessage("CSR asks for identity spiffe://example.org/job/job1/party/alice, which is not of job job2");
    assertThat(Certificates.uris(ca.sign(partyCsr("alice"), Role.PARTY, EXAMPLE.onlyJob("job1")).certificate()))
        .containsExactly("spiffe://example.org/job/job1/party/alice");
  }

  @Test
  @DisplayName("an RSA CSR is signed with an RSA key in the certificate")
  void rsaCsr() {
    var request = CertificateSigningRequest.create(Identity.party("example.org", "job1", "bob"),
        List.of("bob.party.example.org"), KeyType.RSA_2048);
    IssuedCertificate signed = ca.sign(request, Role.PARTY, EXAMPLE);
    assertThat(KeyType.of(signed.certificate().getPublicKey())).isEqualTo(KeyType.RSA_2048);
  }

  @Test
  @DisplayName("a CSR signed again (its answer was lost) gets the first certificate's serial and notAfter, valid from now, "
      + "for its key; the policy is checked again; an expired one is not signed again")
  void signedAgainKeepsTheSerial(@TempDir Path dir) throws Exception {
    CertificateSigningRequest first = partyCsr("alice", "job1.alice.party.example.org");
    IssuedCertificate lost = ca.sign(first, Role.PARTY, EXAMPLE, Duration.ofDays(20));
    first.writeTo(dir);

    // the requester kept the key: the retry's CSR is made again from the key written before the request
    CertificateSigningRequest kept = CertificateSigningRequest.load(dir);
    CertificateSigningRequest retry = CertificateSigningRequest.create(Identity.party("example.org", "job1", "alice"),
        List.of("job1.alice.party.example.org"), kept.keyPair());
    IssuedCertificate again = ca.signAgain(retry, Role.PARTY, EXAMPLE, lost.certificate().getSerialNumber(),
        lost.certificate().getNotAfter().toInstant());

    again.certificate().verify(ca.certificate().getPublicKey());
    assertThat(again.certificate().getSerialNumber()).isEqualTo(lost.certificate().getSerialNumber());
    assertThat(again.certificate().getNotAfter()).isEqualTo(lost.certificate().getNotAfter());
    assertThat(again.certificate().getNotBefore()).isAfterOrEqualTo(lost.certificate().getNotBefore());
    assertThat(again.certificate().getPublicKey()).isEqualTo(lost.certificate().getPublicKey());
    assertThat(Identity.of(again.certificate())).isEqualTo(Identity.of(lost.certificate()));
    assertThatThrownBy(() -> ca.signAgain(retry, Role.PARTY, EXAMPLE.onlyJob("job2"), lost.certificate().getSerialNumber(),
        lost.certificate().getNotAfter().toInstant())).hasMessageContaining("which is not of job job2");
    assertThatThrownBy(() -> ca.signAgain(retry, Role.PARTY, EXAMPLE, java.math.BigInteger.TEN,
        java.time.Instant.now().minusSeconds(1))).isInstanceOf(PkiException.class).hasMessageStartingWith(
        "the certificate of serial a expired at ");
  }

  @Test
  @DisplayName("a certificate may be renewed with a kept key of its key's type that is not its own key")
  void renewableWith() {
    IssuedCertificate current = ca.sign(partyCsr("alice"), Role.PARTY, EXAMPLE);
    CertificateSigningRequest own = partyCsr("alice");
    IssuedCertificate withOwn = ca.sign(own, Role.PARTY, EXAMPLE);

    assertThat(current.renewableWith(partyCsr("alice").keyPair())).isTrue();
    assertThat(withOwn.renewableWith(own.keyPair())).as("its own key: that renewal was stored").isFalse();
    assertThat(current.renewableWith(KeyType.RSA_2048.generate())).as("another key type").isFalse();
  }

  @Test
  @DisplayName("a kept CSR whose key file holds another key is refused, naming where it was read")
  void aKeptCsrWithAnotherKeyIsRefused(@TempDir Path dir) throws Exception {
    partyCsr("alice").writeTo(dir);
    String csr = Files.readString(dir.resolve("tls.csr"));
    partyCsr("alice").writeTo(dir);
    Files.writeString(dir.resolve("tls.csr"), csr);

    assertThatThrownBy(() -> CertificateSigningRequest.load(dir)).isInstanceOf(PkiException.class)
        .hasMessage(dir + ": the key is not the key of the CSR");
  }
}
