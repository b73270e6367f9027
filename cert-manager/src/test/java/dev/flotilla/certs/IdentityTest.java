package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityTest {

  @Test
  @DisplayName("the four shapes round-trip between URI and fields")
  void shapes() {
    for (Identity id : List.of(Identity.server("fl.example.org", "mnist", "mnist"), Identity.party("fl.example.org", "mnist", "a"),
        Identity.ingress("fl.example.org", "ingress-nginx"), Identity.controller("fl.example.org", "flotilla"))) {
      assertThat(Identity.parse(id.uri())).isEqualTo(id);
    }
    assertThat(Identity.party("fl.example.org", "mnist", "a").uri()).isEqualTo("spiffe://fl.example.org/job/mnist/party/a");
    assertThat(Identity.ingress("fl.example.org", "ingress-nginx").uri()).isEqualTo("spiffe://fl.example.org/ingress/ingress-nginx");
    assertThat(Identity.party("fl.example.org", "mnist", "a").serverHost()).isEqualTo("mnist.server.fl.example.org");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "spiffe://example.org/party/a",                 // the old shape: no job
      "spiffe://example.org/server/agg",
      "spiffe://example.org/job/j/ingress/x",         // a cluster role inside a job
      "spiffe://example.org/job/j/admin/x",           // no such role
      "spiffe://example.org/job/j/party/a/b",         // extra segment
      "spiffe://example.org/job/j/party/",            // empty name
      "spiffe://example.org/job/J/party/a",           // upper case
      "spiffe://user@example.org/job/j/party/a",      // user info
      "spiffe://example.org:443/job/j/party/a",       // port
      "spiffe://example.org/job/j/party/a?x=1",       // query
      "spiffe://example.org/job/j/party/a#f",         // fragment
      "spiffe://example.org/job/j/party/a%2Fb",       // escapes
      "spiffe://example..org/job/j/party/a",
      "https://example.org/job/j/party/a",
      "spiffe://example.org",
      "spiffe:///job/j/party/a"})
  @DisplayName("anything but the exact grammar is refused")
  void refusesOtherUris(String uri) {
    assertThatThrownBy(() -> Identity.parse(uri)).isInstanceOf(PkiException.class);
  }

  @Test
  @DisplayName("an over-long URI is refused before it is looked at")
  void tooLong() {
    assertThatThrownBy(() -> Identity.parse("spiffe://example.org/job/j/party/" + "a".repeat(3000)))
        .hasMessage("identity URI is 3033 characters long, more than 2048");
  }

  @Test
  @DisplayName("a certificate's identity is its one URI SAN; none, or several, give no identity")
  void ofCertificate() {
    CertificateAuthority ca = JobPki.newAuthority("Id CA", Duration.ofDays(1));
    var cert = ca.issue(LeafRequest.builder(Identity.party("example.org", "j", "a")).build()).certificate();
    assertThat(Identity.of(cert)).isEqualTo(Identity.party("example.org", "j", "a"));
    var ca2 = JobPki.newAuthority("No URI", Duration.ofDays(1));
    assertThatThrownBy(() -> Identity.of(ca2.certificate()))
        .hasMessageContaining("carries 0 URI SANs; a Flotilla identity is exactly one spiffe:// URI");
  }
}
