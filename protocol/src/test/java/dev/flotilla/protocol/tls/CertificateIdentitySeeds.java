package dev.flotilla.protocol.tls;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.testing.NginxEscapedCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;

/**
 * Writes the seed inputs of {@link CertificateIdentityFuzzTest}: certificates of a throw-away CA
 * (public material only; the CA's key is dropped), as DER and as nginx's escaped PEM header. Run
 * from the repository root: {@code java -cp protocol/target/test-classes:protocol/target/classes:<test classpath>
 * dev.flotilla.protocol.tls.CertificateIdentitySeeds protocol/src/test/resources}
 */
final class CertificateIdentitySeeds {

  public static void main(String[] args) throws Exception {
    Path inputs = Path.of(args[0], "dev/flotilla/protocol/tls/CertificateIdentityFuzzTestInputs");
    CertificateAuthority ca = JobPki.newAuthority("seed-ca", Duration.ofDays(1));
    X509Certificate party = ca.issue(LeafRequest.builder(Identity.party("example.org", "job1", "alice"))
        .dnsNames("alice.party.example.org").build()).certificate();
    X509Certificate server = ca.issue(LeafRequest.builder(Identity.server("example.org", "job1", "job1"))
        .dnsNames("job1.server.example.org").build()).certificate();
    Path der = inputs.resolve("identityOfCertificate");
    write(der.resolve("party"), party.getEncoded());
    write(der.resolve("server"), server.getEncoded());
    write(der.resolve("ca"), ca.certificate().getEncoded());
    Path header = inputs.resolve("forwardedCertificateHeader");
    write(header.resolve("foreign-party"), NginxEscapedCertificate.of(party).getBytes(StandardCharsets.US_ASCII));
    write(header.resolve("truncated-escape"), "-----BEGIN%20CERTIFICATE-----%0AMIIB%2".getBytes(StandardCharsets.US_ASCII));
  }

  private static void write(Path file, byte[] bytes) throws Exception {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private CertificateIdentitySeeds() {}
}
