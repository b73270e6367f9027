package dev.flotilla.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec.Member;
import dev.flotilla.controller.federation.FederationParties.Admission;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("FederationParties: a federated aggregator admits the party members of the Federation of its domain")
public class FederationPartiesTest {

  static final String DOMAIN = "fl.example.org";

  public static Federation federation(String name, String... parties) {
    Federation f = CoordinatorAddressTest.federation("flotilla-system", name, DOMAIN, "10.220.0.1");
    f.getSpec().getMembers().removeIf(m -> m.getRole().equals("party"));
    for (int i = 0; i < parties.length; i++) {
      f.getSpec().getMembers().add(new Member(parties[i], "party", "10.220.1." + (i % 250 + 2), null));
    }
    return f;
  }

  @Test
  @DisplayName("the party members, not the coordinator, beside the namespace's own parties; another domain's members are not read")
  void partyMembers() {
    Federation other = CoordinatorAddressTest.federation("flotilla-system", "other", "other.example.org", "192.0.2.9");
    other.getSpec().getMembers().add(new Member("spy", "party", "192.0.2.10", null));
    Admission admission = FederationParties.of(DOMAIN, List.of(other, federation("fl", "hospital-a", "hospital-b")), Set.of("local"));
    assertThat(admission.federation()).isEqualTo("flotilla-system/fl");
    assertThat(admission.members()).containsExactly("hospital-a", "hospital-b");
    assertThat(admission.allowList()).containsExactly("hospital-a", "hospital-b", "local");
    assertThat(admission.refusals()).isEmpty();
  }

  @Test
  @DisplayName("without a Federation of the domain the allow-list is the namespace's own parties, and nothing is refused")
  void noFederation() {
    Admission admission = FederationParties.of(DOMAIN, List.of(), Set.of("a", "b"));
    assertThat(admission.federation()).isNull();
    assertThat(admission.allowList()).containsExactly("a", "b");
    assertThat(admission.refusals()).isEmpty();
  }

  @Test
  @DisplayName("removing a member drops its name from the allow-list; adding one adds it")
  void membershipChanges() {
    assertThat(FederationParties.of(DOMAIN, List.of(federation("fl", "hospital-a", "hospital-b")), Set.of()).allowList())
        .containsExactly("hospital-a", "hospital-b");
    assertThat(FederationParties.of(DOMAIN, List.of(federation("fl", "hospital-b", "hospital-c")), Set.of()).allowList())
        .containsExactly("hospital-b", "hospital-c");
  }

  @Test
  @DisplayName("a Federation that is not whole (two coordinators, a member named twice) admits nobody, and says why")
  void notWhole() {
    Federation twice = federation("fl", "hospital-a", "hospital-a");
    Admission admission = FederationParties.of(DOMAIN, List.of(twice), Set.of("local"));
    assertThat(admission.members()).isEmpty();
    assertThat(admission.allowList()).containsExactly("local");
    assertThat(admission.refusals()).singleElement().asString()
        .contains("Federation flotilla-system/fl is not whole").contains("hospital-a is named twice");

    Federation twoCoordinators = federation("fl", "hospital-a");
    twoCoordinators.getSpec().getMembers().add(new Member("rogue", "coordinator", "10.9.9.9", null));
    assertThat(FederationParties.of(DOMAIN, List.of(twoCoordinators), Set.of()).members()).isEmpty();
  }

  @Test
  @DisplayName("a member cannot take a name a party job of the namespace declares (itself or its virtual parties): neither is admitted")
  void memberCannotClaimLocalNames() {
    Admission admission = FederationParties.of(DOMAIN, List.of(federation("fl", "b", "c", "hospital-a", "d")),
        Set.of("b", "c-p1-v2", "d-v0", "dd", "local"));
    assertThat(admission.members()).containsExactly("hospital-a");
    assertThat(admission.allowList()).as("b, c and d are claimed twice; dd is another name").containsExactly("dd", "hospital-a", "local");
    assertThat(admission.refusals()).hasSize(3);
    assertThat(admission.refusals().get(0)).isEqualTo("member b of Federation flotilla-system/fl and a party job of the "
        + "namespace both claim b; neither is admitted until one is renamed or removed");
    assertThat(admission.refusals().get(1)).contains("member c ").contains("c-p1-v2");
    assertThat(admission.refusals().get(2)).contains("member d ").contains("d-v0");
  }

  @Test
  @DisplayName("two whole Federations of one domain: the first by namespace and name is read, the other is named as ignored")
  void secondFederationIgnored() {
    Federation first = federation("a-first", "hospital-a");
    Federation second = federation("b-second", "intruder");
    Admission admission = FederationParties.of(DOMAIN, List.of(second, first), Set.of());
    assertThat(admission.members()).containsExactly("hospital-a");
    assertThat(admission.refusals()).containsExactly("Federation flotilla-system/b-second is of the same domain as "
        + "flotilla-system/a-first; only flotilla-system/a-first is read");
  }

  @Test
  @DisplayName("more party members than the CRD allows (a flood past an older CRD or a mirror) admits none of them")
  void bounded() {
    String[] many = new String[FederationParties.MAX_PARTY_MEMBERS + 1];
    for (int i = 0; i < many.length; i++) {
      many[i] = "p" + i;
    }
    Admission admission = FederationParties.of(DOMAIN, List.of(federation("fl", many)), Set.of("local"));
    assertThat(admission.members()).isEmpty();
    assertThat(admission.allowList()).containsExactly("local");
    assertThat(admission.refusals()).singleElement().asString().contains("65 party members, more than 64");
    String[] limit = java.util.Arrays.copyOf(many, FederationParties.MAX_PARTY_MEMBERS);
    assertThat(FederationParties.of(DOMAIN, List.of(federation("fl", limit)), Set.of()).members()).hasSize(64);
  }
}
