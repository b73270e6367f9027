package dev.flotilla.certs.cli;

import static dev.flotilla.certs.cli.CliRun.certs;
import static dev.flotilla.certs.cli.CliRun.s;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Fingerprints;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real openssl as an independent judge of what the certs CLI and the library write. */
@RequiresRealServers(RealServer.OPENSSL)
class OpensslJudgeIT {
  @TempDir Path tmp;

  record Result(int exitCode, String output) {}

  static Result openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  /** The lines of {@code openssl x509 -noout -ext subjectAltName,extendedKeyUsage}, stripped. */
  static List<String> extensions(Path cert) throws Exception {
    Result r = openssl("x509", "-noout", "-ext", "subjectAltName,extendedKeyUsage", "-in", s(cert));
    assertThat(r.exitCode()).as(r.output()).isZero();
    return r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  static void assertVerifies(Path ca, Path cert, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("verify", "-CAfile", s(ca)));
    args.addAll(List.of(extra));
    args.add(s(cert));
    Result r = openssl(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains(s(cert) + ": OK");
  }

  private Path initCa(String keyType) {
    Path ca = tmp.resolve("ca-" + keyType);
    CliRun run = certs("init-ca", "--out", s(ca), "--key-type", keyType, "--days", "30");
    assertThat(run.exitCode()).as(run.err()).isZero();
    return ca;
  }

  @Test
  @DisplayName("a server certificate with a wildcard verifies, with exactly those SANs and serverAuth only")
  void serverCertificate() throws Exception {
    Path ca = initCa("ec");
    Path out = tmp.resolve("server");
    CliRun run = certs("issue", "--ca", s(ca), "--out", s(out), "--role", "server", "--domain", "example.org",
        "--job", "mnist", "--name", "agg", "--dns", "*.server.example.org");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"));
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"), "-purpose", "sslserver");
    assertThat(extensions(out.resolve("tls.crt"))).containsExactly(
        "X509v3 Extended Key Usage:", "TLS Web Server Authentication",
        "X509v3 Subject Alternative Name:", "DNS:*.server.example.org, URI:spiffe://example.org/job/mnist/server/agg");
    Result asClient = openssl("verify", "-CAfile", s(out.resolve("ca.crt")), "-purpose", "sslclient", s(out.resolve("tls.crt")));
    assertThat(asClient.exitCode()).isNotZero();
  }

  @Test
  @DisplayName("a party certificate verifies for both TLS client and server, with its names and identity URI")
  void partyCertificate() throws Exception {
    Path ca = initCa("ec");
    Path out = tmp.resolve("party");
    certs("issue", "--ca", s(ca), "--out", s(out), "--role", "party", "--domain", "example.org",
        "--job", "job1", "--name", "alice", "--dns", "job1.alice.party.example.org", "alice.party.example.org");
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"), "-purpose", "sslclient");
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"), "-purpose", "sslserver");
    assertThat(extensions(out.resolve("tls.crt"))).containsExactly(
        "X509v3 Extended Key Usage:", "TLS Web Server Authentication, TLS Web Client Authentication",
        "X509v3 Subject Alternative Name:",
        "DNS:job1.alice.party.example.org, DNS:alice.party.example.org, URI:spiffe://example.org/job/job1/party/alice");
    // the key openssl reads from tls.key is the key of tls.crt
    Result certKey = openssl("x509", "-noout", "-pubkey", "-in", s(out.resolve("tls.crt")));
    Result key = openssl("pkey", "-pubout", "-in", s(out.resolve("tls.key")));
    assertThat(key.exitCode()).isZero();
    assertThat(key.output()).isEqualTo(certKey.output());
  }

  @Test
  @DisplayName("RSA 3072 and 2048 CAs issue certificates openssl verifies, with RSA keys of that size")
  void rsa() throws Exception {
    for (String type : new String[] {"rsa2048", "rsa3072"}) {
      Path ca = initCa(type);
      Path out = tmp.resolve("rsa-leaf-" + type);
      certs("issue", "--ca", s(ca), "--out", s(out), "--role", "server", "--domain", "example.org", "--job", "s", "--name", "s");
      assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"));
      String bits = type.substring(3);
      assertThat(openssl("x509", "-noout", "-text", "-in", s(ca.resolve("ca.crt"))).output())
          .contains("Public-Key: (" + bits + " bit)");
      assertThat(openssl("pkey", "-noout", "-text", "-in", s(out.resolve("tls.key"))).output())
          .contains("Private-Key: (" + bits + " bit");
    }
  }

  @Test
  @DisplayName("csr + sign: openssl verifies the CSR's self-signature and the signed certificate, with the CSR's names")
  void csrFlow() throws Exception {
    Path ca = initCa("ec");
    Path party = tmp.resolve("party");
    certs("csr", "--out", s(party), "--role", "party", "--domain", "example.org", "--job", "job1", "--name", "bob");
    Result req = openssl("req", "-verify", "-noout", "-in", s(party.resolve("tls.csr")));
    assertThat(req.exitCode()).as(req.output()).isZero();
    assertThat(req.output()).containsIgnoringCase("verify OK");
    Path out = tmp.resolve("signed");
    CliRun run = certs("sign", "--ca", s(ca), "--csr", s(party.resolve("tls.csr")), "--out", s(out),
        "--role", "party", "--domain", "example.org");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"), "-purpose", "sslclient");
    assertThat(extensions(out.resolve("tls.crt"))).containsExactly(
        "X509v3 Extended Key Usage:", "TLS Web Server Authentication, TLS Web Client Authentication",
        "X509v3 Subject Alternative Name:", "DNS:job1.bob.party.example.org, URI:spiffe://example.org/job/job1/party/bob");
    Result certKey = openssl("x509", "-noout", "-pubkey", "-in", s(out.resolve("tls.crt")));
    assertThat(openssl("pkey", "-pubout", "-in", s(party.resolve("tls.key"))).output()).isEqualTo(certKey.output());
  }

  @Test
  @DisplayName("a CSR made by openssl itself is signed and verifies")
  void opensslMadeCsr() throws Exception {
    Path ca = initCa("ec");
    Path key = tmp.resolve("o.key");
    Path csr = tmp.resolve("o.csr");
    Result made = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", s(key), "-out", s(csr), "-subj", "/CN=carol", "-addext",
        "subjectAltName=DNS:carol.party.example.org,URI:spiffe://example.org/job/job1/party/carol");
    assertThat(made.exitCode()).as(made.output()).isZero();
    Path out = tmp.resolve("o-signed");
    CliRun run = certs("sign", "--ca", s(ca), "--csr", s(csr), "--out", s(out), "--role", "party",
        "--domain", "example.org", "--job", "job1");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"));
    assertThat(extensions(out.resolve("tls.crt"))).contains("DNS:carol.party.example.org, URI:spiffe://example.org/job/job1/party/carol");
  }

  @Test
  @DisplayName("a renewed certificate verifies and keeps exactly the names and usages")
  void renewed() throws Exception {
    Path ca = initCa("ec");
    Path out = tmp.resolve("server");
    certs("issue", "--ca", s(ca), "--out", s(out), "--role", "server", "--domain", "example.org", "--job", "agg", "--name", "agg");
    List<String> before = extensions(out.resolve("tls.crt"));
    String fingerprint = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", s(out.resolve("tls.crt"))).output();
    assertThat(certs("renew", "--ca", s(ca), "--dir", s(out), "--force").exitCode()).isZero();
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"));
    assertThat(extensions(out.resolve("tls.crt"))).isEqualTo(before);
    assertThat(openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", s(out.resolve("tls.crt"))).output())
        .isNotEqualTo(fingerprint);
  }

  @Test
  @DisplayName("show prints the same SHA-256 fingerprint as openssl")
  void fingerprintMatchesOpenssl() throws Exception {
    Path ca = initCa("ec");
    String ours = Fingerprints.sha256(Pem.readCertificate(ca.resolve("ca.crt")));
    String theirs = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", s(ca.resolve("ca.crt"))).output().strip();
    assertThat(theirs).endsWith("=" + ours);
    assertThat(certs("show", s(ca.resolve("ca.crt"))).out()).contains(ours);
  }

  @Test
  @DisplayName("a leaf of an intermediate CA verifies against the root with the chain from tls.crt")
  void intermediateChain() throws Exception {
    CertificateAuthority root = CertificateAuthority.createRoot("Root", Duration.ofDays(30), KeyType.EC_P256);
    CertificateAuthority intermediate = root.createIntermediate("Issuing", Duration.ofDays(20), KeyType.EC_P256);
    IssuedCertificate leaf = intermediate.issue(LeafRequest.builder(Identity.server("example.org", "agg", "agg")).dnsNames("agg.server.example.org").build());
    Path out = tmp.resolve("chain");
    leaf.writeTo(out);
    assertVerifies(out.resolve("ca.crt"), out.resolve("tls.crt"), "-untrusted", s(out.resolve("tls.crt")));
    Result withoutChain = openssl("verify", "-CAfile", s(out.resolve("ca.crt")), s(out.resolve("tls.crt")));
    assertThat(withoutChain.exitCode()).isNotZero();
    Path caDir = tmp.resolve("intermediate-ca");
    intermediate.writeTo(caDir);
    assertVerifies(out.resolve("ca.crt"), caDir.resolve("ca.crt"));
  }
}
