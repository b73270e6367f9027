package dev.flotilla.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VirtualPartyHostIdentityTest {

  private static final Identity HOST = Identity.virtualPartyHost("fl.example.org", "study", "pod-a", 5);

  @Test
  @DisplayName("a virtual-party host's URI names its count and round-trips; it differs from the plain party of that name")
  void roundTrip() {
    assertThat(HOST.uri()).isEqualTo("spiffe://fl.example.org/job/study/party/pod-a/virtual/5");
    assertThat(Identity.parse(HOST.uri())).isEqualTo(HOST);
    assertThat(HOST).isNotEqualTo(Identity.party("fl.example.org", "study", "pod-a"));
    assertThat(Identity.parse("spiffe://fl.example.org/job/study/party/pod-a").isVirtualPartyHost()).isFalse();
    assertThat(HOST.sameJobAs(Identity.server("fl.example.org", "study", "study"))).isTrue();
  }

  @Test
  @DisplayName("a host covers <name>-v0 .. <name>-v<count-1> and nothing else, not even itself")
  void covers() {
    assertThat(HOST.coversVirtualParty("pod-a-v0")).isTrue();
    assertThat(HOST.coversVirtualParty("pod-a-v4")).isTrue();
    for (String other : new String[] {"pod-a-v5", "pod-a-v04", "pod-a-v", "pod-a", "pod-b-v0", "pod-a-v-1",
        "pod-a-v+1", "pod-a-v99999999999", "pod-a-v1x", null}) {
      assertThat(HOST.coversVirtualParty(other)).as(String.valueOf(other)).isFalse();
    }
    assertThat(Identity.party("fl.example.org", "study", "pod-a").coversVirtualParty("pod-a-v0")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "spiffe://fl.example.org/job/study/party/pod-a/virtual/0",
      "spiffe://fl.example.org/job/study/party/pod-a/virtual/05",
      "spiffe://fl.example.org/job/study/party/pod-a/virtual/-1",
      "spiffe://fl.example.org/job/study/party/pod-a/virtual/10001",
      "spiffe://fl.example.org/job/study/party/pod-a/virtual/x",
      "spiffe://fl.example.org/job/study/party/pod-a/virtual/",
      "spiffe://fl.example.org/job/study/server/pod-a/virtual/5",
      "spiffe://fl.example.org/job/study/party/pod-a/many/5"})
  @DisplayName("a malformed count, a server host or another segment is refused")
  void refused(String uri) {
    assertThatThrownBy(() -> Identity.parse(uri)).isInstanceOf(PkiException.class);
  }

  @Test
  @DisplayName("a host whose last virtual name would not be a DNS label is refused, naming it")
  void longName() {
    String name = "a".repeat(60);
    assertThat(Identity.virtualPartyHost("fl.example.org", "j", name, 10).coversVirtualParty(name + "-v9")).isTrue();
    assertThatThrownBy(() -> Identity.virtualPartyHost("fl.example.org", "j", name, 11))
        .isInstanceOf(PkiException.class).hasMessageContaining(name + "-v10");
  }

  @Test
  @DisplayName("the CA issues a host certificate whose identity is read back with its count")
  void issued() {
    CertificateAuthority ca = JobPki.newAuthority("test", java.time.Duration.ofHours(1));
    IssuedCertificate leaf = ca.issue(LeafRequest.builder(HOST).keyType(KeyType.EC_P256).build());
    assertThat(Identity.of(leaf.certificate())).isEqualTo(HOST);
  }
}
