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
    String job = CsrFuzzTest.JOB;
    write(csrs.resolve("party-names-under-domain"), der(CertificateSigningRequest.create(Identity.party(d, job, "alice"),
        List.of(job + ".alice.party." + d, "*.alice.party." + d), KeyType.EC_P256)));
    write(csrs.resolve("server-with-host"), der(CertificateSigningRequest.create(Identity.server(d, job, job),
        List.of(job + ".server." + d), KeyType.EC_P256)));
    write(csrs.resolve("ingress-no-names"), der(CertificateSigningRequest.create(Identity.ingress(d, "ingress-nginx"),
        List.of(), KeyType.EC_P256)));
    write(csrs.resolve("other-domain"), der(CertificateSigningRequest.create(Identity.party("other.org", job, "bob"),
        List.of(), KeyType.EC_P256)));
    write(csrs.resolve("rsa-2048"), der(CertificateSigningRequest.create(Identity.party(d, "job2", "carol"),
        List.of("carol.party." + d), KeyType.RSA_2048)));

    CertificateAuthority ca = JobPki.newAuthority("seed-ca", Duration.ofDays(1));
    IssuedCertificate leaf = ca.issue(LeafRequest.builder(Identity.party(d, job, "alice"))
        .dnsNames("alice.party." + d).build());
    IssuedCertificate server = ca.issue(LeafRequest.builder(Identity.server(d, job, job))
        .dnsNames(job + ".server." + d).build());
    Path pem = inputs.resolve("readPem");
    write(pem.resolve("chain"), Pem.encode(leaf.certificateChain()).getBytes(StandardCharsets.US_ASCII));
    write(pem.resolve("server"), Pem.encode(server.certificate()).getBytes(StandardCharsets.US_ASCII));
    write(pem.resolve("csr"), CertificateSigningRequest.create(Identity.party(d, job, "dave"), List.of("dave.party." + d),
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
