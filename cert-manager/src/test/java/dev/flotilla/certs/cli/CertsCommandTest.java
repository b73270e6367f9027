package dev.flotilla.certs.cli;

import static dev.flotilla.certs.cli.CliRun.certs;
import static dev.flotilla.certs.cli.CliRun.s;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Certificates;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsCommandTest {
  @TempDir Path tmp;
  Path caDir;
  Path out;

  @BeforeEach
  void initCa() {
    caDir = tmp.resolve("ca");
    out = tmp.resolve("out");
    CliRun run = certs("init-ca", "--out", s(caDir), "--name", "Test CA", "--days", "30");
    assertThat(run.exitCode()).as(run.err()).isZero();
  }

  /** {@code certs issue} with the test CA, writing to {@code out}. */
  CliRun issue(String... flags) {
    return certs(Stream.concat(Stream.of("issue", "--ca", s(caDir), "--out", s(out)), Stream.of(flags))
        .toArray(String[]::new));
  }

  /** {@code certs sign} of {@code csr} with the test CA, writing to {@code out}. */
  CliRun sign(Path csr, String... flags) {
    return certs(Stream.concat(Stream.of("sign", "--ca", s(caDir), "--csr", s(csr), "--out", s(out)), Stream.of(flags))
        .toArray(String[]::new));
  }

  /** Asserts the run failed with exactly one stderr line containing {@code expected}, and wrote nothing in {@code dir}. */
  static void assertRefused(CliRun run, String expected, Path dir) throws IOException {
    assertThat(run.exitCode()).isNotZero();
    assertThat(run.err().strip()).doesNotContain("\n").contains(expected);
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files).as("files left in %s", dir).isEmpty();
      }
    }
  }

  @Test
  @DisplayName("init-ca writes ca.crt and a 0600 ca.key; issue writes tls.crt, tls.key, ca.crt with the requested names")
  void initCaAndIssue() throws Exception {
    assertThat(Files.getPosixFilePermissions(caDir.resolve("ca.key")))
        .containsExactlyInAnyOrderElementsOf(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    CliRun run = issue("--role", "party", "--domain", "example.org", "--job", "job1", "--name", "alice",
        "--dns", "alice.party.example.org", "job1.alice.party.example.org", "--days", "10");
    assertThat(run.exitCode()).as(run.err()).isZero();
    X509Certificate leaf = Pem.readCertificate(out.resolve("tls.crt"));
    assertThat(Certificates.dnsNames(leaf)).containsExactly("alice.party.example.org", "job1.alice.party.example.org");
    assertThat(Certificates.ipAddresses(leaf)).isEmpty();
    assertThat(Certificates.uris(leaf)).containsExactly("spiffe://example.org/job/job1/party/alice");
    assertThat(Duration.between(leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()).toDays()).isEqualTo(10);
    assertThat(Pem.readCertificate(out.resolve("ca.crt"))).isEqualTo(Pem.readCertificate(caDir.resolve("ca.crt")));
    assertThat(run.out()).contains("spiffe://example.org/job/job1/party/alice").contains("SHA-256:")
        .contains("Identity:       party of job job1 'alice' in example.org");
  }

  @Test
  @DisplayName("show prints subject, SANs, usages, validity and fingerprint")
  void show() {
    issue("--role", "server", "--domain", "example.org", "--job", "mnist", "--name", "agg", "--dns", "*.server.example.org");
    CliRun run = certs("show", s(out.resolve("tls.crt")));
    assertThat(run.exitCode()).as(run.err()).isZero();
    X509Certificate cert = Pem.readCertificate(out.resolve("tls.crt"));
    assertThat(run.out())
        .contains("Subject:        CN=agg")
        .contains("SANs:           DNS:*.server.example.org, URI:spiffe://example.org/job/mnist/server/agg")
        .contains("Ext. key usage: serverAuth")
        .contains("Not after:      " + cert.getNotAfter().toInstant())
        .contains("SHA-256:        " + dev.flotilla.certs.Fingerprints.sha256(cert));
  }

  @Test
  @DisplayName("csr then sign: the CSR asks for the identity, the CA signs it for its --domain and writes tls.crt and ca.crt only")
  void csrAndSign() throws Exception {
    Path party = tmp.resolve("party");
    assertThat(certs("csr", "--out", s(party), "--role", "party", "--domain", "example.org", "--job", "job1",
        "--name", "bob").exitCode()).isZero();
    assertThat(party.resolve("tls.csr")).exists();
    CliRun run = sign(party.resolve("tls.csr"), "--role", "party", "--domain", "example.org", "--job", "job1");
    assertThat(run.exitCode()).as(run.err()).isZero();
    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("tls.crt", "ca.crt");
    }
    assertThat(Certificates.uris(Pem.readCertificate(out.resolve("tls.crt")))).containsExactly("spiffe://example.org/job/job1/party/bob");
    CliRun shown = certs("show", s(party.resolve("tls.csr")));
    assertThat(shown.out()).contains("Subject:        CN=bob").contains("SANs:           DNS:job1.bob.party.example.org, URI:spiffe://example.org/job/job1/party/bob")
        .contains("Signature:      valid");
  }

  @Test
  @DisplayName("renew leaves a fresh certificate alone and reissues with --force")
  void renew() {
    issue("--role", "server", "--domain", "example.org", "--job", "agg", "--name", "agg");
    X509Certificate before = Pem.readCertificate(out.resolve("tls.crt"));
    CliRun notDue = certs("renew", "--ca", s(caDir), "--dir", s(out));
    assertThat(notDue.exitCode()).isZero();
    assertThat(notDue.out()).startsWith("not due");
    assertThat(Pem.readCertificate(out.resolve("tls.crt"))).isEqualTo(before);
    CliRun forced = certs("renew", "--ca", s(caDir), "--dir", s(out), "--force");
    assertThat(forced.exitCode()).as(forced.err()).isZero();
    X509Certificate after = Pem.readCertificate(out.resolve("tls.crt"));
    assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
    assertThat(Certificates.dnsNames(after)).containsExactly("agg.server.example.org");
  }

  @Test
  @DisplayName("every subcommand has --help that names its flags")
  void help() {
    for (String[] cmd : List.of(new String[] {"init-ca", "--out", "--key-type"}, new String[] {"issue", "--role", "--job"},
        new String[] {"csr", "--domain", "--dns"}, new String[] {"sign", "--domain", "--csr"},
        new String[] {"show", "FILE", "fingerprint"}, new String[] {"renew", "--force", "--dir"})) {
      CliRun run = certs(cmd[0], "--help");
      assertThat(run.exitCode()).isZero();
      assertThat(run.out()).contains(cmd[1]).contains(cmd[2]);
    }
  }

  @Nested
  @DisplayName("bad input: one stderr line naming the problem, non-zero exit, no file written")
  class BadInput {
    @Test
    @DisplayName("a missing CA directory")
    void missingCa() throws Exception {
      assertRefused(certs("issue", "--ca", s(tmp.resolve("nope")), "--out", s(out), "--role", "server", "--domain", "example.org", "--job", "a", "--name", "a"), "CA directory does not exist: " + tmp.resolve("nope"), out);
    }

    @Test
    @DisplayName("a missing CA key file")
    void missingKey() throws Exception {
      Files.delete(caDir.resolve("ca.key"));
      assertRefused(issue("--role", "server", "--domain", "example.org", "--job", "a", "--name", "a"), "missing file: " + caDir.resolve("ca.key"), out);
    }

    @Test
    @DisplayName("an unreadable CA certificate (a directory where the file should be)")
    void unreadable() throws Exception {
      Files.delete(caDir.resolve("ca.crt"));
      Files.createDirectory(caDir.resolve("ca.crt"));
      assertRefused(issue("--role", "server", "--domain", "example.org", "--job", "a", "--name", "a"), "not a regular file: " + caDir.resolve("ca.crt"), out);
    }

    @Test
    @DisplayName("an unreadable CA key (mode 000; only meaningful when not running as root)")
    void unreadableMode() throws Exception {
      org.junit.jupiter.api.Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
          "root reads files whatever their mode");
      Files.setPosixFilePermissions(caDir.resolve("ca.key"), java.util.Set.of());
      assertRefused(issue("--role", "server", "--domain", "example.org", "--job", "a", "--name", "a"), "unreadable file: " + caDir.resolve("ca.key"), out);
    }

    @Test
    @DisplayName("a corrupt PEM CA certificate")
    void corruptPem() throws Exception {
      String pem = Files.readString(caDir.resolve("ca.crt"));
      Files.writeString(caDir.resolve("ca.crt"), pem.substring(0, 60) + "!!!garbage!!!" + pem.substring(80));
      assertRefused(issue("--role", "server", "--domain", "example.org", "--job", "a", "--name", "a"), "corrupt PEM in " + caDir.resolve("ca.crt"), out);
    }

    @Test
    @DisplayName("a file with no PEM at all")
    void notPem() throws Exception {
      Path junk = tmp.resolve("junk.crt");
      Files.writeString(junk, "hello\n");
      assertRefused(certs("show", s(junk)), "corrupt PEM in " + junk, out);
    }

    @Test
    @DisplayName("a CSR whose signature does not verify")
    void badCsrSignature() throws Exception {
      Path party = tmp.resolve("party");
      certs("csr", "--out", s(party), "--role", "party", "--domain", "example.org", "--job", "job1", "--name", "bob");
      Path csr = party.resolve("tls.csr");
      String pem = Files.readString(csr);
      String body = pem.replaceAll("-----[^-]+-----", "").replaceAll("\\s", "");
      byte[] der = Base64.getDecoder().decode(body);
      der[der.length - 1] ^= 0x01; // last byte of the signature
      Files.writeString(csr, "-----BEGIN CERTIFICATE REQUEST-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
          + "\n-----END CERTIFICATE REQUEST-----\n");
      assertRefused(sign(csr, "--role", "party", "--domain", "example.org"), "CSR signature does not verify", out);
    }

    @Test
    @DisplayName("a CSR from another trust domain, or signed as another role, named in the message")
    void foreignOrWrongRole() throws Exception {
      Path party = tmp.resolve("party");
      certs("csr", "--out", s(party), "--role", "party", "--domain", "bank.com", "--job", "job1", "--name", "bob");
      assertRefused(sign(party.resolve("tls.csr"), "--role", "party", "--domain", "example.org"),
          "CSR asks for identity spiffe://bank.com/job/job1/party/bob outside the trust domain example.org", out);
      assertRefused(sign(party.resolve("tls.csr"), "--role", "server", "--domain", "bank.com"),
          "CSR asks for the party identity spiffe://bank.com/job/job1/party/bob but is being signed as role server", out);
    }

    @Test
    @DisplayName("a party certificate or CSR with the aggregator's host name, named in the message")
    void serverNameForParty() throws Exception {
      assertRefused(issue("--role", "party", "--domain", "example.org", "--job", "job1", "--name", "mallory",
          "--dns", "job1.server.example.org"),
          "DNS name job1.server.example.org is not allowed in a party certificate of example.org", out);
      Path party = tmp.resolve("mallory");
      assertRefused(certs("csr", "--out", s(party), "--role", "party", "--domain", "example.org", "--job", "job1",
          "--name", "mallory", "--dns", "job1.server.example.org"),
          "DNS name job1.server.example.org is not allowed in a party certificate of example.org", party);
    }

    @Test
    @DisplayName("a server or party without --job")
    void missingJob() throws Exception {
      assertRefused(issue("--role", "party", "--domain", "example.org", "--name", "alice"),
          "--job is required for role party", out);
    }

    @Test
    @DisplayName("an expired CA")
    void expiredCa() throws Exception {
      CertificateAuthority shortLived = JobPki.newAuthority("Brief CA", Duration.ofSeconds(1));
      Path expiredDir = tmp.resolve("expired-ca");
      shortLived.writeTo(expiredDir);
      Instant notAfter = shortLived.certificate().getNotAfter().toInstant();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(notAfter));
      assertRefused(certs("issue", "--ca", s(expiredDir), "--out", s(out), "--role", "server", "--domain", "example.org", "--job", "a", "--name", "a"), "CA certificate 'Brief CA' expired at", out);
    }

    @Test
    @DisplayName("an unknown role")
    void unknownRole() throws Exception {
      assertRefused(issue("--role", "admin", "--domain", "example.org", "--name", "a"),
          "unknown role 'admin' (expected server, party, ingress or controller)", out);
    }

    @Test
    @DisplayName("an unknown key type, a non-positive --days, an invalid DNS name, a missing required flag")
    void otherBadFlags() throws Exception {
      Path ca2 = tmp.resolve("ca2");
      assertRefused(certs("init-ca", "--out", s(ca2), "--key-type", "dsa"), "unknown key type 'dsa'", ca2);
      assertRefused(issue("--role", "server", "--domain", "example.org", "--job", "a", "--name", "a",
          "--days", "0"), "--days must be positive, was 0", out);
      assertRefused(issue("--role", "server", "--domain", "example.org", "--job", "a", "--name", "a",
          "--dns", "bad..name"), "invalid DNS name 'bad..name'", out);
      assertRefused(issue("--role", "server", "--job", "a", "--name", "a"),
          "Missing required option: '--domain", out);
    }

    @Test
    @DisplayName("enroll takes --renew or all four flags of a first enrollment: anything else is a usage error before any request")
    void enrollModes() {
      CliRun both = certs("enroll", "--domain", "example.org", "--renew", s(out), "--job", "a", "--out", s(out));
      assertThat(both.exitCode()).isEqualTo(2);
      assertThat(both.err()).isEqualTo("flotilla certs enroll: --renew and --job, --out are mutually exclusive "
          + "(renewal needs no token) (see 'flotilla certs enroll --help')\n");
      CliRun partial = certs("enroll", "--domain", "example.org", "--job", "a", "--name", "alice");
      assertThat(partial.exitCode()).isEqualTo(2);
      assertThat(partial.err()).isEqualTo("flotilla certs enroll: Missing required option(s): --token-file, --out "
          + "(or --renew DIR) (see 'flotilla certs enroll --help')\n");
      assertThat(out).doesNotExist();
    }

    @Test
    @DisplayName("init-ca refuses to overwrite an existing CA key")
    void noOverwrite() throws Exception {
      String before = Files.readString(caDir.resolve("ca.key"));
      CliRun run = certs("init-ca", "--out", s(caDir));
      assertThat(run.exitCode()).isNotZero();
      assertThat(run.err().strip()).doesNotContain("\n").contains("already exists: refusing to overwrite a CA key");
      assertThat(Files.readString(caDir.resolve("ca.key"))).isEqualTo(before);
    }

    @Test
    @DisplayName("an --out that is a file, not a directory, leaves that file untouched")
    void outIsFile() throws Exception {
      Path file = tmp.resolve("file");
      Files.writeString(file, "keep");
      CliRun run = certs("issue", "--ca", s(caDir), "--out", s(file), "--role", "server", "--domain", "example.org", "--job", "a", "--name", "a");
      assertThat(run.exitCode()).isNotZero();
      assertThat(run.err().strip()).doesNotContain("\n").contains("is not a directory");
      assertThat(Files.readString(file)).isEqualTo("keep");
    }
  }
}
