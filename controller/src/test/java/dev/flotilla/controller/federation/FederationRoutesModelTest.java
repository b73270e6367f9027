package dev.flotilla.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.api.FederationSpec.Member;
import dev.flotilla.dns.DnsRecord;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("FederationRoutesModel: each member's DNS records and trust bundle from the Federation")
class FederationRoutesModelTest {
  static final CertificateAuthority COORD_CA = JobPki.newAuthority("coordinator CA", Duration.ofDays(30));
  static final CertificateAuthority ALICE_CA = JobPki.newAuthority("alice CA", Duration.ofDays(30));

  static FederationSpec spec(Member... members) {
    FederationSpec spec = new FederationSpec();
    spec.setDomain("fl.example.org");
    spec.setMembers(new ArrayList<>(List.of(members)));
    return spec;
  }

  static FederationSpec three() {
    return spec(new Member("coord", "coordinator", "198.51.100.10", Pem.encode(COORD_CA.rootCertificate())),
        new Member("alice", "party", "198.51.100.21", Pem.encode(ALICE_CA.rootCertificate()) + Pem.encode(COORD_CA.rootCertificate())),
        new Member("bob", "party", "2001:db8::22", null));
  }

  @Test
  @DisplayName("a party publishes *.server.<domain> for the coordinator and *.<party>.party.<domain> for each other party, "
      + "nothing for itself; IPv6 gives AAAA")
  void partyRecords() {
    assertThat(FederationRoutesModel.records(three(), "alice")).containsExactly(
        DnsRecord.of("*.bob.party.fl.example.org", "2001:db8::22"), DnsRecord.of("*.server.fl.example.org", "198.51.100.10"));
    assertThat(FederationRoutesModel.records(three(), "bob")).containsExactly(
        DnsRecord.of("*.alice.party.fl.example.org", "198.51.100.21"), DnsRecord.of("*.server.fl.example.org", "198.51.100.10"));
  }

  @Test
  @DisplayName("the coordinator publishes only the parties' zones")
  void coordinatorRecords() {
    assertThat(FederationRoutesModel.records(three(), "coord")).containsExactly(
        DnsRecord.of("*.alice.party.fl.example.org", "198.51.100.21"), DnsRecord.of("*.bob.party.fl.example.org", "2001:db8::22"));
  }

  @Test
  @DisplayName("the trust bundle: name, namespace, labels, every member's CA once, in member order; no owner")
  void trust() {
    ConfigMap cm = FederationRoutesModel.trust(three(), "team");
    assertThat(cm.getMetadata().getName()).isEqualTo("flotilla-federation-trust.fl.example.org");
    assertThat(cm.getMetadata().getNamespace()).isEqualTo("team");
    assertThat(cm.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "flotilla-controller")
        .containsEntry("app.kubernetes.io/component", "federation");
    assertThat(cm.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(Pem.parseCertificates(cm.getData().get("ca.crt"), "bundle"))
        .containsExactly(COORD_CA.rootCertificate(), ALICE_CA.rootCertificate());
  }

  @Test
  @DisplayName("the DNS owner names the Federation")
  void owner() {
    Federation f = new Federation();
    f.setMetadata(new ObjectMetaBuilder().withName("fl").withNamespace("flotilla-system").build());
    assertThat(FederationRoutesModel.dnsOwner(f)).isEqualTo("federation/flotilla-system/fl");
  }

  @Test
  @DisplayName("refused as a whole, naming the problem: no or two coordinators, a name twice, an unknown role, an address "
      + "that is no IP, a bundle that is no PEM, this cluster not a member")
  void refusals() {
    assertThatThrownBy(() -> FederationRoutesModel.records(spec(new Member("alice", "party", "198.51.100.21", null)), "alice"))
        .hasMessageContaining("has 0 coordinators");
    assertThatThrownBy(() -> FederationRoutesModel.records(spec(new Member("a", "coordinator", "198.51.100.1", null),
        new Member("b", "coordinator", "198.51.100.2", null)), "a")).hasMessageContaining("has 2 coordinators");
    assertThatThrownBy(() -> FederationRoutesModel.records(spec(new Member("a", "coordinator", "198.51.100.1", null),
        new Member("a", "party", "198.51.100.2", null)), "a")).hasMessageContaining("member a is named twice");
    assertThatThrownBy(() -> FederationRoutesModel.records(spec(new Member("a", "coordinator", "198.51.100.1", null),
        new Member("b", "observer", "198.51.100.2", null)), "a")).hasMessageContaining("role observer");
    assertThatThrownBy(() -> FederationRoutesModel.records(spec(new Member("a", "coordinator", "ingress.example.org", null)), "a"))
        .hasMessageContaining("ingress.example.org");
    assertThatThrownBy(() -> FederationRoutesModel.trust(spec(new Member("a", "coordinator", "198.51.100.1", "not a PEM")), "ns"))
        .hasMessageContaining("member a");
    assertThatThrownBy(() -> FederationRoutesModel.records(three(), "carol")).hasMessageContaining("carol is not a member");
  }
}
