package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  private static CertificateAuthority root;

  @BeforeAll
  static void createRoot() {
    root = CertificateAuthority.createRoot("Flotilla Test Root", Duration.ofDays(365), KeyType.EC_P256);
  }

  @Test
  @DisplayName("a root CA is self-signed, a CA (basicConstraints) and lives as long as asked")
  void rootIsSelfSignedCa() throws Exception {
    X509Certificate cert = root.certificate();
    cert.verify(cert.getPublicKey());
    assertThat(cert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(Certificates.commonName(cert)).isEqualTo("Flotilla Test Root");
    Duration lifetime = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant());
    assertThat(lifetime).isBetween(Duration.ofDays(365), Duration.ofDays(365).plusMinutes(2));
    assertThat(root.isRoot()).isTrue();
    assertThat(root.rootCertificate()).isEqualTo(cert);
  }

  @Test
  @DisplayName("a server leaf carries exactly the requested DNS SANs, its one identity URI and serverAuth only")
  void serverLeaf() throws Exception {
    IssuedCertificate issued = root.issue(LeafRequest.builder(Identity.server("example.org", "mnist", "agg"))
        .dnsNames("*.server.example.org", "mnist.server.example.org")
        .lifetime(Duration.ofDays(30))
        .build());
    X509Certificate leaf = issued.certificate();
    leaf.verify(root.certificate().getPublicKey());
    assertThat(Certificates.dnsNames(leaf)).containsExactly("*.server.example.org", "mnist.server.example.org");
    assertThat(Certificates.ipAddresses(leaf)).isEmpty();
    assertThat(Certificates.uris(leaf)).containsExactly("spiffe://example.org/job/mnist/server/agg");
    assertThat(Identity.of(leaf)).isEqualTo(Identity.server("example.org", "mnist", "agg"));
    assertThat(Certificates.extendedKeyUsages(leaf)).containsExactly("serverAuth");
    assertThat(Certificates.commonName(leaf)).isEqualTo("agg");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(issued.chain()).isEmpty();
    assertThat(issued.caCertificate()).isEqualTo(root.certificate());
    assertThat(KeyType.of(issued.privateKey())).isEqualTo(KeyType.EC_P256);
    assertThat(CertificateAuthority.keyMatches(leaf.getPublicKey(), issued.privateKey())).isTrue();
  }

  @Test
  @DisplayName("a party leaf has clientAuth and serverAuth (it serves peers) unless it is client-only")
  void partyLeafUsages() {
    IssuedCertificate party = root.issue(LeafRequest.builder(Identity.party("example.org", "job1", "alice"))
        .dnsNames("job1.alice.party.example.org").build());
    assertThat(Certificates.extendedKeyUsages(party.certificate())).containsExactlyInAnyOrder("serverAuth", "clientAuth");
    assertThat(Certificates.uris(party.certificate())).containsExactly("spiffe://example.org/job/job1/party/alice");
    IssuedCertificate clientOnly = root.issue(LeafRequest.builder(Identity.party("example.org", "job1", "bob"))
        .dnsNames("bob.party.example.org").clientOnly().build());
    assertThat(Certificates.extendedKeyUsages(clientOnly.certificate())).containsExactly("clientAuth");
  }

  @Test
  @DisplayName("RSA 2048 and 3072 keys are issued on request, and an RSA CA signs EC leaves")
  void rsaOptions() throws Exception {
    CertificateAuthority rsaRoot = CertificateAuthority.createRoot("RSA Root", Duration.ofDays(10), KeyType.RSA_3072);
    assertThat(rsaRoot.keyType()).isEqualTo(KeyType.RSA_3072);
    IssuedCertificate rsaLeaf = rsaRoot.issue(LeafRequest.builder(Identity.server("example.org", "s", "s")).dnsNames("s.server.example.org")
        .keyType(KeyType.RSA_2048).build());
    assertThat(KeyType.of(rsaLeaf.certificate().getPublicKey())).isEqualTo(KeyType.RSA_2048);
    rsaLeaf.certificate().verify(rsaRoot.certificate().getPublicKey());
    IssuedCertificate ecLeaf = rsaRoot.issue(LeafRequest.builder(Identity.server("example.org", "e", "e")).dnsNames("e.server.example.org").build());
    ecLeaf.certificate().verify(rsaRoot.certificate().getPublicKey());
    assertThat(KeyType.of(ecLeaf.privateKey())).isEqualTo(KeyType.EC_P256);
  }

  @Test
  @DisplayName("an intermediate CA issues leaves whose chain links them to the root")
  void intermediate() throws Exception {
    CertificateAuthority intermediate = root.createIntermediate("Issuing CA", Duration.ofDays(100), KeyType.EC_P256);
    assertThat(intermediate.isRoot()).isFalse();
    assertThat(intermediate.certificate().getBasicConstraints()).isEqualTo(0);
    intermediate.certificate().verify(root.certificate().getPublicKey());
    IssuedCertificate leaf = intermediate.issue(LeafRequest.builder(Identity.party("example.org", "job1", "carol"))
        .dnsNames("carol.party.example.org").build());
    leaf.certificate().verify(intermediate.certificate().getPublicKey());
    assertThat(leaf.chain()).containsExactly(intermediate.certificate());
    assertThat(leaf.caCertificate()).isEqualTo(root.certificate());
  }

  @Test
  @DisplayName("a leaf never outlives its CA: its lifetime is cut at the CA's expiry")
  void leafCappedAtCaExpiry() {
    CertificateAuthority shortCa = CertificateAuthority.createRoot("Short", Duration.ofDays(2), KeyType.EC_P256);
    IssuedCertificate leaf = shortCa.issue(LeafRequest.builder(Identity.server("example.org", "s", "s")).dnsNames("s.server.example.org")
        .lifetime(Duration.ofDays(90)).build());
    assertThat(leaf.certificate().getNotAfter()).isEqualTo(shortCa.certificate().getNotAfter());
  }

  @Test
  @DisplayName("CA files round-trip: ca.key is mode 0600, and load() gives a CA that issues verifiable leaves")
  void writeAndLoad(@TempDir Path dir) throws Exception {
    CertificateAuthority intermediate = root.createIntermediate("Issuing CA", Duration.ofDays(100), KeyType.EC_P256);
    intermediate.writeTo(dir);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key")))).isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("ca.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
    CertificateAuthority loaded = CertificateAuthority.load(dir);
    assertThat(loaded.certificate()).isEqualTo(intermediate.certificate());
    assertThat(loaded.rootCertificate()).isEqualTo(root.certificate());
    IssuedCertificate leaf = loaded.issue(LeafRequest.builder(Identity.server("example.org", "x", "x")).dnsNames("x.server.example.org").build());
    leaf.certificate().verify(intermediate.certificate().getPublicKey());
  }

  @Test
  @DisplayName("issued files: tls.crt holds leaf then chain, tls.key is 0600, ca.crt is the root; they load back")
  void issuedFiles(@TempDir Path dir) throws Exception {
    CertificateAuthority intermediate = root.createIntermediate("Issuing CA", Duration.ofDays(100), KeyType.EC_P256);
    IssuedCertificate leaf = intermediate.issue(LeafRequest.builder(Identity.server("example.org", "x", "x")).dnsNames("x.server.example.org").build());
    leaf.writeTo(dir);
    List<X509Certificate> crt = Pem.readCertificates(dir.resolve("tls.crt"));
    assertThat(crt).containsExactly(leaf.certificate(), intermediate.certificate());
    assertThat(Pem.readCertificate(dir.resolve("ca.crt"))).isEqualTo(root.certificate());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.key")))).isEqualTo("rw-------");
    IssuedCertificate loaded = IssuedCertificate.load(dir);
    assertThat(loaded.privateKey()).isEqualTo(leaf.privateKey());
    assertThat(loaded.chain()).containsExactly(intermediate.certificate());
  }

  @Test
  @DisplayName("loading a CA whose key belongs to another certificate is refused, naming the key file")
  void mismatchedKey(@TempDir Path dir) throws Exception {
    root.writeTo(dir);
    CertificateAuthority other = CertificateAuthority.createRoot("Other", Duration.ofDays(1), KeyType.EC_P256);
    Files.writeString(dir.resolve("ca.key"), Pem.encode(other.issue(
        LeafRequest.builder(Identity.server("example.org", "o", "o")).build()).privateKey()));
    assertThatThrownBy(() -> CertificateAuthority.load(dir))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("ca.key does not belong to");
  }

  @Test
  @DisplayName("a root CA round-trips through PEM text in memory: the same certificate and key, and it issues leaves that verify")
  void pemRoundTripInMemory() throws Exception {
    CertificateAuthority loaded = CertificateAuthority.fromPem(Pem.encode(root.certificate()), root.privateKeyPem(), "Secret ns/ca");
    assertThat(root.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(loaded.certificate()).isEqualTo(root.certificate());
    assertThat(loaded.privateKeyPem()).isEqualTo(root.privateKeyPem());
    IssuedCertificate leaf = loaded.issue(LeafRequest.builder(Identity.server("example.org", "x", "x")).dnsNames("x.server.example.org").build());
    leaf.certificate().verify(root.certificate().getPublicKey());
  }

  @Test
  @DisplayName("PEM text whose key belongs to another CA, or whose certificate is no CA, is refused naming the source")
  void pemRefusals() {
    CertificateAuthority other = CertificateAuthority.createRoot("Other", Duration.ofDays(1), KeyType.EC_P256);
    assertThatThrownBy(() -> CertificateAuthority.fromPem(Pem.encode(root.certificate()), other.privateKeyPem(), "Secret ns/ca"))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("Secret ns/ca ca.key does not belong to Secret ns/ca ca.crt");
    IssuedCertificate leaf = root.issue(LeafRequest.builder(Identity.server("example.org", "x", "x")).dnsNames("x.server.example.org").build());
    assertThatThrownBy(() -> CertificateAuthority.fromPem(Pem.encode(leaf.certificate()), Pem.encode(leaf.privateKey()), "Secret ns/leaf"))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("Secret ns/leaf ca.crt is not a CA certificate");
  }

  @Test
  @DisplayName("invalid names are refused when the request is built, naming the value")
  void invalidNames() {
    LeafRequest.Builder server = LeafRequest.builder(Identity.server("example.org", "s", "s"));
    assertThatThrownBy(() -> server.dnsNames("bad..name.server.example.org"))
        .hasMessageContaining("invalid DNS name 'bad..name.server.example.org'");
    assertThatThrownBy(() -> server.dnsNames("a.*.server.example.org"))
        .hasMessageContaining("invalid DNS name");
    assertThatThrownBy(() -> Identity.server("example.org", "s", "a/b"))
        .hasMessageContaining("invalid name 'a/b'");
  }

  @Nested
  @DisplayName("names are bound to roles (a party certificate can never pass for the aggregator)")
  class RoleBoundNames {
    @Test
    @DisplayName("a party certificate cannot carry a name under .server.<domain>, nor one outside its domain")
    void partyCannotCarryServerNames() {
      LeafRequest.Builder party = LeafRequest.builder(Identity.party("example.org", "job1", "mallory"));
      assertThatThrownBy(() -> party.dnsNames("job1.server.example.org"))
          .isInstanceOf(PkiException.class)
          .hasMessage("DNS name job1.server.example.org is not allowed in a party certificate of example.org: "
              + "party names are <job>.<party>.party.example.org or <party>.party.example.org");
      assertThatThrownBy(() -> party.dnsNames("*.example.org")).hasMessageContaining("not allowed in a party certificate");
      assertThatThrownBy(() -> party.dnsNames("localhost")).hasMessageContaining("not allowed in a party certificate");
      assertThatThrownBy(() -> party.dnsNames("job1.mallory.party.evil.org")).hasMessageContaining("not allowed");
      assertThatThrownBy(() -> party.dnsNames("a.b.c.party.example.org")).hasMessageContaining("not allowed");
    }

    @Test
    @DisplayName("a server certificate carries only <job>.server.<domain> or *.server.<domain>")
    void serverNames() {
      LeafRequest.Builder server = LeafRequest.builder(Identity.server("example.org", "mnist", "mnist"));
      assertThatThrownBy(() -> server.dnsNames("mnist.a.party.example.org"))
          .hasMessageContaining("not allowed in a server certificate of example.org: server names are <job>.server.example.org");
      assertThatThrownBy(() -> server.dnsNames("a.b.server.example.org")).hasMessageContaining("not allowed");
      assertThatThrownBy(() -> server.dnsNames("server.example.org")).hasMessageContaining("not allowed");
      assertThat(server.dnsNames("mnist.server.example.org", "*.server.example.org").build().dnsNames())
          .containsExactly("mnist.server.example.org", "*.server.example.org");
    }

    @Test
    @DisplayName("ingress and controller certificates are clientAuth only and carry no DNS names")
    void clusterRoles() {
      IssuedCertificate ingress = root.issue(LeafRequest.builder(Identity.ingress("example.org", "ingress-nginx")).build());
      assertThat(Certificates.extendedKeyUsages(ingress.certificate())).containsExactly("clientAuth");
      assertThat(Certificates.uris(ingress.certificate())).containsExactly("spiffe://example.org/ingress/ingress-nginx");
      assertThat(Certificates.dnsNames(ingress.certificate())).isEmpty();
      assertThatThrownBy(() -> LeafRequest.builder(Identity.controller("example.org", "c")).dnsNames("c.example.org"))
          .hasMessage("DNS name c.example.org is not allowed: controller certificates carry no DNS names");
    }
  }

  @Test
  @DisplayName("fingerprints are SHA-256 over the DER encoding, 32 colon-separated bytes")
  void fingerprint() {
    String fp = Fingerprints.sha256(root.certificate());
    assertThat(fp).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    assertThat(Fingerprints.sha256Hex(root.certificate())).hasSize(64).isEqualTo(fp.replace(":", "").toLowerCase());
  }
}
