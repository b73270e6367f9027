package dev.flotilla.controller.federation;

import static dev.flotilla.controller.federation.CoordinatorAddressTest.federation;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec.Member;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.model.HostAliasesModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.dns.FederationHost;
import io.fabric8.kubernetes.api.model.HostAlias;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PeerHostAddresses: a peer-channel party's pod dials the other parties at their organisations' addresses from the Federation")
class PeerHostAddressesTest {

  static final FederationHost PARTY_B = FederationHost.parse("fashion.b.party.fl.example.org").orElseThrow();

  /** coord at 10.220.0.1, parties b (10.220.0.3, this one) and c (10.220.0.4). */
  static Federation threeMembers() {
    Federation f = federation("flotilla-system", "fl", "fl.example.org", "10.220.0.1");
    f.getSpec().getMembers().add(new Member("c", "party", "10.220.0.4", null));
    return f;
  }

  @Test
  @DisplayName("every other party member's host of the job, at its address; not its own, not the coordinator's")
  void otherPartiesOfTheJob() {
    assertThat(PeerHostAddresses.of(PARTY_B, List.of(threeMembers())))
        .containsExactlyEntriesOf(Map.of("fashion.c.party.fl.example.org", "10.220.0.4"));
  }

  @Test
  @DisplayName("none from another domain's Federation or one that is not whole (two coordinators, a party without an "
      + "address); the first whole one by namespace and name")
  void onlyAWholeFederationOfTheDomain() {
    assertThat(PeerHostAddresses.of(PARTY_B, List.of(federation("flotilla-system", "o", "other.example.org", "10.220.0.1")))).isEmpty();
    Federation twoCoordinators = threeMembers();
    twoCoordinators.getSpec().getMembers().add(new Member("coord2", "coordinator", "10.220.0.7", null));
    assertThat(PeerHostAddresses.of(PARTY_B, List.of(twoCoordinators))).isEmpty();
    Federation partyWithoutAddress = threeMembers();
    partyWithoutAddress.getSpec().getMembers().add(new Member("d", "party", null, null));
    assertThat(PeerHostAddresses.of(PARTY_B, List.of(partyWithoutAddress))).isEmpty();
    Federation later = threeMembers();
    later.getMetadata().setNamespace("z-ns");
    later.getSpec().getMembers().get(2).setAddress("10.220.0.40");
    assertThat(PeerHostAddresses.of(PARTY_B, List.of(later, threeMembers())))
        .containsEntry("fashion.c.party.fl.example.org", "10.220.0.4");
  }

  @Test
  @DisplayName("a party serving the peer channel gets the peers in its hostAliases and a moved peer replaces its pod; "
      + "a party without spec.peer gets none")
  void hostAliasesOfAPeerChannelParty() {
    IflearnerJob withPeer = Samples.load("flotilla-fashion-mnist/party-b.yaml", "fl");
    withPeer.getSpec().setPeer(new PeerSpec());
    JobModel party = new JobModel(withPeer);
    Map<String, String> peers = PeerHostAddresses.of(PARTY_B, List.of(threeMembers()));
    List<HostAlias> aliases = HostAliasesModel.aliases(party, "10.220.0.3", "10.220.0.1", peers);
    assertThat(aliases).extracting(HostAlias::getIp).containsExactly("10.220.0.1", "10.220.0.3", "10.220.0.4");
    assertThat(aliases.get(2).getHostnames()).containsExactly("fashion.c.party.fl.example.org");

    String here = PodModel.desired(party, "10.220.0.3", "10.220.0.1", peers, party.tlsSecretName()).getMetadata()
        .getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
    String moved = PodModel.desired(party, "10.220.0.3", "10.220.0.1", Map.of("fashion.c.party.fl.example.org", "10.220.0.9"),
        party.tlsSecretName()).getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
    assertThat(moved).isNotEqualTo(here);

    JobModel withoutPeer = new JobModel(Samples.load("flotilla-fashion-mnist/party-b.yaml", "fl"));
    assertThat(HostAliasesModel.aliases(withoutPeer, "10.220.0.3", "10.220.0.1", peers))
        .isEqualTo(HostAliasesModel.aliases(withoutPeer, "10.220.0.3", "10.220.0.1"));
  }
}
