package dev.flotilla.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.JobPki;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MembersAskerTest {

  @Test
  @DisplayName("a members request counts against the party identity of its client certificate; one without an identity "
      + "counts against nothing (the service refuses it), so a stream of addresses cannot fill the limiter's keys")
  void countedPerIdentityOnly() {
    CertificateAuthority ca = JobPki.newAuthority("federation CA", Duration.ofDays(30));
    X509Certificate[] party = FederationCaTrustTest.partyOf(ca);
    assertThat(EnrollmentServer.asker(party)).isEqualTo(FederationCaTrustTest.ALICE.uri());
    assertThat(EnrollmentServer.asker(null)).isNull();
    assertThat(EnrollmentServer.asker(new X509Certificate[0])).isNull();
    assertThat(EnrollmentServer.asker(new X509Certificate[] {ca.rootCertificate()})).as("a CA: no Flotilla identity").isNull();
  }
}
