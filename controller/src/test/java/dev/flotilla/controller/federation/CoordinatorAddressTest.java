package dev.flotilla.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.api.FederationSpec.AddressFrom;
import dev.flotilla.controller.api.FederationSpec.Member;
import dev.flotilla.controller.model.HostAliasesModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.Samples;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("CoordinatorAddress: a party's server host points at the coordinator's address from the Federation of its domain")
class CoordinatorAddressTest {

  static Federation federation(String namespace, String name, String domain, String coordinatorAddress) {
    FederationSpec spec = new FederationSpec();
    spec.setDomain(domain);
    spec.setMembers(new ArrayList<>(List.of(new Member("coord", "coordinator", coordinatorAddress, null),
        new Member("b", "party", "10.220.0.3", null))));
    Federation f = new Federation();
    f.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
    f.setSpec(spec);
    return f;
  }

  @Test
  @DisplayName("the coordinator member's address of the job's domain; none for another domain or no Federation")
  void addressOfTheDomain() {
    List<Federation> both = List.of(federation("flotilla-system", "other.example.org", "other.example.org", "192.0.2.9"),
        federation("flotilla-system", "fl.example.org", "fl.example.org", "10.220.0.1"));
    assertThat(CoordinatorAddress.of("fl.example.org", both)).contains("10.220.0.1");
    assertThat(CoordinatorAddress.of("nowhere.example.org", both)).isEmpty();
    assertThat(CoordinatorAddress.of("fl.example.org", List.of())).isEmpty();
  }

  @Test
  @DisplayName("none while the coordinator's published address is unknown, or from a federation that is not whole")
  void noneWithoutAWholeFederation() {
    Federation pending = federation("flotilla-system", "fl", "fl.example.org", null);
    pending.getSpec().getMembers().get(0).setAddressFrom(new AddressFrom("Ingress", "ingress-nginx", "public"));
    assertThat(CoordinatorAddress.of("fl.example.org", List.of(pending))).isEmpty();
    Federation twoCoordinators = federation("flotilla-system", "fl", "fl.example.org", "10.220.0.1");
    twoCoordinators.getSpec().getMembers().add(new Member("coord2", "coordinator", "10.220.0.7", null));
    assertThat(CoordinatorAddress.of("fl.example.org", List.of(twoCoordinators))).isEmpty();
  }

  @Test
  @DisplayName("two federations of one domain: the first by namespace and name answers, whatever the listing's order")
  void deterministicChoice() {
    Federation a = federation("a-ns", "fl", "fl.example.org", "10.220.0.1");
    Federation b = federation("b-ns", "fl", "fl.example.org", "10.220.0.5");
    assertThat(CoordinatorAddress.of("fl.example.org", List.of(b, a))).contains("10.220.0.1");
    assertThat(CoordinatorAddress.of("fl.example.org", List.of(a, b))).contains("10.220.0.1");
  }

  @Test
  @DisplayName("a party's pod: its own host at this cluster's ingress, its server host at the coordinator's address; a moved "
      + "coordinator changes the pod's template hash (the pod is replaced); a server's pod is unaffected")
  void partyPodAliases() {
    JobModel party = new JobModel(Samples.load("flotilla-fashion-mnist/party-b.yaml", "fl"));
    List<HostAlias> aliases = HostAliasesModel.aliases(party, "10.220.0.3", "10.220.0.1");
    assertThat(aliases).extracting(HostAlias::getIp).containsExactly("10.220.0.1", "10.220.0.3");
    assertThat(aliases.get(0).getHostnames()).containsExactly("fashion.server.fl.example.org");
    assertThat(aliases.get(1).getHostnames()).containsExactly("fashion.b.party.fl.example.org");

    String here = hash(PodModel.desired(party, "10.220.0.3", "10.220.0.1", party.tlsSecretName()).getMetadata()
        .getAnnotations());
    String moved = hash(PodModel.desired(party, "10.220.0.3", "10.220.0.99", party.tlsSecretName()).getMetadata()
        .getAnnotations());
    String local = hash(PodModel.desired(party, "10.220.0.3", party.tlsSecretName()).getMetadata().getAnnotations());
    assertThat(moved).isNotEqualTo(here);
    assertThat(local).isEqualTo(hash(PodModel.desired(party, "10.220.0.3", null, party.tlsSecretName()).getMetadata()
        .getAnnotations()));

    JobModel server = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"));
    assertThat(HostAliasesModel.aliases(server, "10.220.0.1", "10.220.0.99")).singleElement().satisfies(a -> {
      assertThat(a.getIp()).isEqualTo("10.220.0.1");
      assertThat(a.getHostnames()).containsExactly("fashion.server.fl.example.org");
    });
  }

  static String hash(java.util.Map<String, String> annotations) {
    return annotations.get(PodModel.TEMPLATE_HASH_ANNOTATION);
  }
}
