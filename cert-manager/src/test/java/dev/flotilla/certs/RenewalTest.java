package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenewalTest {
  private final CertificateAuthority ca = JobPki.newAuthority("Renew CA", Duration.ofDays(365));

  @Test
  @DisplayName("a certificate is due for renewal at two thirds of its lifetime, not before")
  void twoThirds() {
    X509Certificate cert = ca.issue(LeafRequest.builder(Identity.server("example.org", "s", "s")).dnsNames("s.server.example.org")
        .lifetime(Duration.ofDays(90)).build()).certificate();
    Instant notBefore = cert.getNotBefore().toInstant();
    Duration total = Duration.between(notBefore, cert.getNotAfter().toInstant());
    Instant due = notBefore.plus(total.multipliedBy(2).dividedBy(3));
    assertThat(RenewalPolicy.renewalTime(cert)).isEqualTo(due);
    assertThat(RenewalPolicy.needsRenewal(cert, due.minusSeconds(1))).isFalse();
    assertThat(RenewalPolicy.needsRenewal(cert, due)).isTrue();
    assertThat(RenewalPolicy.needsRenewal(cert, notBefore.plus(Duration.ofDays(59)))).isFalse();
    assertThat(RenewalPolicy.needsRenewal(cert, notBefore.plus(Duration.ofDays(61)))).isTrue();
    assertThat(RenewalPolicy.needsRenewal(cert)).isFalse();
  }

  @Test
  @DisplayName("the renewer leaves a certificate that is not due, and reissues a due one with the same names, role, lifetime and key type")
  void renewer(@TempDir Path dir) {
    IssuedCertificate original = ca.issue(LeafRequest.builder(Identity.party("example.org", "job1", "alice"))
        .dnsNames("alice.party.example.org").keyType(KeyType.RSA_2048)
        .lifetime(Duration.ofDays(30)).build());
    original.writeTo(dir);
    CertificateRenewer renewer = new CertificateRenewer(ca);
    assertThat(renewer.renewIfDue(dir, false)).isEmpty();
    assertThat(IssuedCertificate.load(dir).certificate()).isEqualTo(original.certificate());

    Instant later = original.certificate().getNotBefore().toInstant().plus(Duration.ofDays(21));
    IssuedCertificate renewed = renewer.renewIfDue(dir, false, later).orElseThrow();
    X509Certificate cert = renewed.certificate();
    assertThat(cert.getSerialNumber()).isNotEqualTo(original.certificate().getSerialNumber());
    assertThat(renewed.privateKey()).isNotEqualTo(original.privateKey());
    assertThat(Certificates.dnsNames(cert)).containsExactly("alice.party.example.org");
    assertThat(Certificates.uris(cert)).containsExactly("spiffe://example.org/job/job1/party/alice");
    assertThat(Certificates.extendedKeyUsages(cert)).containsExactlyInAnyOrder("serverAuth", "clientAuth");
    assertThat(KeyType.of(cert.getPublicKey())).isEqualTo(KeyType.RSA_2048);
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isEqualTo(Duration.between(original.certificate().getNotBefore().toInstant(),
            original.certificate().getNotAfter().toInstant()));
    IssuedCertificate onDisk = IssuedCertificate.load(dir);
    assertThat(onDisk.certificate()).isEqualTo(cert);
    assertThat(onDisk.privateKey()).isEqualTo(renewed.privateKey());
  }

  @Test
  @DisplayName("a scheduled renewer replaces a due certificate in place, without being asked again")
  void scheduled(@TempDir Path dir) {
    // one second of lifetime: due at once
    IssuedCertificate due = ca.issue(LeafRequest.builder(Identity.server("example.org", "s", "s")).dnsNames("s.server.example.org")
        .lifetime(Duration.ofSeconds(1)).build());
    due.writeTo(dir);
    java.util.concurrent.ScheduledExecutorService executor = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    try {
      var future = new CertificateRenewer(ca).schedule(executor, dir, Duration.ofMillis(100));
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
          !IssuedCertificate.load(dir).certificate().getSerialNumber().equals(due.certificate().getSerialNumber()));
      future.cancel(false);
      IssuedCertificate renewed = IssuedCertificate.load(dir);
      assertThat(Certificates.dnsNames(renewed.certificate())).containsExactly("s.server.example.org");
      assertThat(CertificateAuthority.keyMatches(renewed.certificate().getPublicKey(), renewed.privateKey())).isTrue();
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  @DisplayName("force renews at any time; a certificate of another CA is refused, naming the file")
  void forceAndForeign(@TempDir Path dir) {
    ca.issue(LeafRequest.builder(Identity.server("example.org", "s", "s")).dnsNames("s.server.example.org").build()).writeTo(dir);
    assertThat(new CertificateRenewer(ca).renewIfDue(dir, true)).isPresent();
    CertificateAuthority other = JobPki.newAuthority("Other", Duration.ofDays(1));
    assertThatThrownBy(() -> new CertificateRenewer(other).renewIfDue(dir, true))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("tls.crt was not issued by the CA 'Other'");
  }
}
