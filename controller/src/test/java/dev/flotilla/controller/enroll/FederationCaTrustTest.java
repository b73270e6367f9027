package dev.flotilla.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("FederationCaTrust: the enrollment endpoint trusts renewing parties by the federation's CA of each handshake")
class FederationCaTrustTest {
  static final Identity ALICE = Identity.party("fl.example.org", "mnist", "alice");

  static X509Certificate[] partyOf(CertificateAuthority ca) {
    return ca.issue(LeafRequest.builder(ALICE).build()).certificateChain().toArray(X509Certificate[]::new);
  }

  @Test
  @DisplayName("after the CA is rotated, a certificate of the new CA is trusted and one of the old is refused, with no new trust manager")
  void followsRotation() {
    CertificateAuthority old = JobPki.newAuthority("old CA", Duration.ofDays(30));
    CertificateAuthority rotated = JobPki.newAuthority("rotated CA", Duration.ofDays(30));
    AtomicReference<CertificateAuthority> current = new AtomicReference<>(old);
    FederationCaTrust trust = new FederationCaTrust(current::get);

    assertThatCode(() -> trust.checkClientTrusted(partyOf(old), "UNKNOWN")).doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkClientTrusted(partyOf(rotated), "UNKNOWN")).isInstanceOf(CertificateException.class);
    assertThat(trust.getAcceptedIssuers()).containsExactly(old.rootCertificate());

    current.set(rotated);
    assertThatCode(() -> trust.checkClientTrusted(partyOf(rotated), "UNKNOWN")).doesNotThrowAnyException();
    assertThatThrownBy(() -> trust.checkClientTrusted(partyOf(old), "UNKNOWN")).isInstanceOf(CertificateException.class);
    assertThat(trust.getAcceptedIssuers()).containsExactly(rotated.rootCertificate());
  }

  @Test
  @DisplayName("it trusts no server: the endpoint is never a TLS client")
  void noServers() {
    CertificateAuthority ca = JobPki.newAuthority("CA", Duration.ofDays(30));
    FederationCaTrust trust = new FederationCaTrust(() -> ca);
    assertThatThrownBy(() -> trust.checkServerTrusted(partyOf(ca), "UNKNOWN")).isInstanceOf(CertificateException.class)
        .hasMessageContaining("trusts no servers");
  }
}
