package dev.flotilla.clusters;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("chart values, DNS names, the Federation spec and the kubeconfig, from the spec and the addresses")
class FederationValuesTest {

  static final FederationSpec SPEC = Examples.spec();

  @Test
  @DisplayName("a party's chart: its image, the job namespace, its ingress address, the one allowed domain, and its name as "
      + "the Federation member joining with --join, with no enrollment endpoint")
  void partyValues() {
    Map<String, Object> values = FederationValues.chartValues(SPEC, SPEC.organisations().get(1), "203.0.113.2");
    assertThat(values).containsOnlyKeys("image", "watch", "federation", "extraArgs");
    assertThat(values.get("federation")).isEqualTo(Map.of("member", "alice", "enroll", "", "join", true));
    assertThat(values.get("image")).isEqualTo(Map.of("repository", "europe-docker.pkg.dev/flotilla-fed/flotilla/controller",
        "tag", "0.1.0"));
    assertThat(values.get("watch")).isEqualTo(Map.of("allNamespaces", false, "namespaces", List.of("flotilla-jobs")));
    assertThat(values.get("extraArgs")).isEqualTo(List.of("--ingress-address=203.0.113.2", "--allowed-domain=fl.example.org"));
  }

  @Test
  @DisplayName("the coordinator's chart also serves the enrollment endpoint of the job namespace and domain (the chart's "
      + "federation.enroll, which brings its Roles, Service and Ingress), and joins nothing")
  void coordinatorValues() {
    Map<String, Object> values = FederationValues.chartValues(SPEC, SPEC.coordinator(), "203.0.113.1");
    assertThat(values.get("extraArgs")).isEqualTo(List.of("--ingress-address=203.0.113.1", "--allowed-domain=fl.example.org"));
    assertThat(values.get("federation")).isEqualTo(Map.of("member", "coord", "enroll", "flotilla-jobs/fl.example.org", "join", false));
  }

  @Test
  @DisplayName("DNS: *.server.<domain>. for the coordinator, *.<name>.party.<domain>. for a party")
  void dnsNames() {
    assertThat(FederationValues.dnsName(SPEC, SPEC.coordinator())).isEqualTo("*.server.fl.example.org.");
    assertThat(FederationValues.dnsName(SPEC, SPEC.organisations().get(2))).isEqualTo("*.bob.party.fl.example.org.");
  }

  @Test
  @DisplayName("the Federation spec: the domain and every member with role and address, in order")
  void federationSpec() {
    Map<String, Object> spec = FederationValues.federationSpec(SPEC,
        Map.of("coord", "203.0.113.1", "alice", "203.0.113.2", "bob", "203.0.113.3"));
    assertThat(spec).isEqualTo(Map.of("domain", "fl.example.org", "members", List.of(
        Map.of("name", "coord", "role", "coordinator", "address", "203.0.113.1"),
        Map.of("name", "alice", "role", "party", "address", "203.0.113.2"),
        Map.of("name", "bob", "role", "party", "address", "203.0.113.3"))));
  }

  @Test
  @DisplayName("the kubeconfig names the endpoint over https, the CA data, and gke-gcloud-auth-plugin; no key or token")
  void kubeconfig() {
    String k = Kubeconfigs.gke("alice", "34.1.2.3", "Q0EgZGF0YQ==");
    assertThat(k).contains("server: https://34.1.2.3\n", "certificate-authority-data: Q0EgZGF0YQ==\n",
        "command: gke-gcloud-auth-plugin\n", "current-context: alice\n");
    assertThat(k).doesNotContain("token", "client-key");
  }
}
