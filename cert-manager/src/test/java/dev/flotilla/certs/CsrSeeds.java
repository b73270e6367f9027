package dev.flotilla.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Writes the seed inputs of {@link CsrFuzzTest}: CSRs (DER) and certificates (PEM) made by
 * cert-manager itself. Only public material is written; the keys made on the way are dropped.
 * Run from the repository root:
 * {@code java -cp cert-manager/target/test-classes:cert-manager/target/classes:<test classpath>
 * dev.flotilla.certs.CsrSeeds cert-manager/src/test/resources}
 */
final class CsrSeeds {

  public static void main(String[] args) throws IOException {
    Path inputs = Path.of(args[0], "dev/flotilla/certs/CsrFuzzTestInputs");
    String d = CsrFuzzTest.DOMAIN;
    Path csrs = inputs.resolve("signCsr");
    write(csrs.resolve("party-names-under-domain"), der(CertificateSigningRequest.create("alice",
        List.of("alice.party." + d, "*.alice.party." + d), List.of(), KeyType.EC_P256)));
    write(csrs.resolve("server-with-ip-and-uri"), der(CertificateSigningRequest.create("job1",
        List.of("job1.server." + d), List.of("10.0.0.7", "fd00::7"), "spiffe://" + d + "/server/job1", KeyType.EC_P256)));
    write(csrs.resolve("outside-domain"), der(CertificateSigningRequest.create("mallory",
        List.of("kubernetes.default.svc.cluster.local", "www.bank.com"), List.of(), KeyType.EC_P256)));
    write(csrs.resolve("foreign-uri"), der(CertificateSigningRequest.create("bob", List.of(), List.of(),
        "spiffe://other.org/server/bob", KeyType.EC_P256)));
    write(csrs.resolve("rsa-2048"), der(CertificateSigningRequest.create("carol", List.of("carol.party." + d), List.of(),
        KeyType.RSA_2048)));

    CertificateAuthority ca = CertificateAuthority.createRoot("seed-ca", Duration.ofDays(1), KeyType.EC_P256);
    IssuedCertificate leaf = ca.issue(LeafRequest.builder(Role.PARTY, "alice").dnsNames("alice.party." + d)
        .uri("spiffe://" + d + "/party/alice").build());
    IssuedCertificate server = ca.issue(LeafRequest.builder(Role.SERVER, "job1").dnsNames("job1.server." + d)
        .ipAddresses("10.0.0.7", "fd00::7").uri("spiffe://" + d + "/server/job1").build());
    Path pem = inputs.resolve("readPem");
    write(pem.resolve("chain"), Pem.encode(leaf.certificateChain()).getBytes(StandardCharsets.US_ASCII));
    write(pem.resolve("server-with-ip"), Pem.encode(server.certificate()).getBytes(StandardCharsets.US_ASCII));
    write(pem.resolve("csr"), CertificateSigningRequest.create("dave", List.of("dave.party." + d), List.of(),
        KeyType.EC_P256).pem().getBytes(StandardCharsets.US_ASCII));
    // the shapes of key files without any key: the fuzzer finds the parsers behind these headers
    write(pem.resolve("private-key-shape"), ("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
        + "-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII));
    write(pem.resolve("ec-private-key-shape"), ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n")
        .getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] der(CertificateSigningRequest csr) throws IOException {
    return csr.toPkcs10().getEncoded();
  }

  private static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private CsrSeeds() {}
}
