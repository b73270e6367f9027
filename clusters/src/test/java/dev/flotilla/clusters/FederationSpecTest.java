package dev.flotilla.clusters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("flotilla:federation — read and checked before anything is declared")
class FederationSpecTest {

  @Test
  @DisplayName("every field read; defaults: role party, 1 node, e2-standard-4, chart ../charts/flotilla, namespace flotilla-jobs")
  void reads() {
    FederationSpec spec = Examples.spec();
    assertThat(spec.project()).isEqualTo("flotilla-fed");
    assertThat(spec.domain()).isEqualTo("fl.example.org");
    assertThat(spec.dnsZone()).isEqualTo("fl-example-org");
    assertThat(spec.chart()).isEqualTo("../charts/flotilla");
    assertThat(spec.jobNamespace()).isEqualTo("flotilla-jobs");
    assertThat(spec.organisations()).containsExactly(
        new Organisation("coord", Organisation.Role.COORDINATOR, "europe-west1", 1, "e2-standard-4"),
        new Organisation("alice", Organisation.Role.PARTY, "europe-west4", 2, "n2-standard-8"),
        new Organisation("bob", Organisation.Role.PARTY, "us-central1", 3, "e2-standard-4"));
    assertThat(spec.coordinator().name()).isEqualTo("coord");
  }

  @Test
  @DisplayName("every problem is named at once: missing fields, a bad region, node count, duplicate and bad names, a bad role")
  void refusesNamingEveryProblem() {
    assertThatThrownBy(() -> FederationSpec.parse("""
        {"project": "flotilla-fed", "domain": "fl.example.org", "controllerImage": "img", "controllerTag": "1",
         "organisations": [
           {"name": "coord", "role": "coordinator", "region": "europe-west1"},
           {"name": "Alice", "region": "europe-west4"},
           {"name": "bob", "region": "mars", "nodeCount": 0},
           {"name": "coord", "region": "us-central1", "role": "observer"}
         ]}
        """)).isInstanceOf(IllegalArgumentException.class).hasMessage("flotilla:federation: dnsZone is required; "
            + "organisation 'Alice': name 'Alice' is not a DNS label of at most 30 characters starting with a letter; "
            + "organisation 'bob': region 'mars' is not a GCP region; "
            + "organisation 'bob': nodeCount must be a whole number in 1..100; "
            + "organisation 'coord': is named twice; "
            + "organisation 'coord': role 'observer' is neither coordinator nor party");
  }

  @Test
  @DisplayName("exactly one coordinator and at least one party")
  void oneCoordinatorAndParties() {
    String base = """
        {"project": "flotilla-fed", "domain": "fl.example.org", "dnsZone": "z", "controllerImage": "img", "controllerTag": "1",
         "organisations": [%s]}
        """;
    assertThatThrownBy(() -> FederationSpec.parse(base.formatted(
        "{\"name\": \"a\", \"region\": \"europe-west1\"}, {\"name\": \"b\", \"region\": \"europe-west1\"}")))
        .hasMessageEndingWith("exactly one coordinator is needed, 0 given");
    assertThatThrownBy(() -> FederationSpec.parse(base.formatted(
        "{\"name\": \"a\", \"role\": \"coordinator\", \"region\": \"europe-west1\"}")))
        .hasMessageEndingWith("a federation needs at least one party besides the coordinator");
  }

  @Test
  @DisplayName("hostile input is bounded: above 4096 characters, not an object, wrong types")
  void bounded() {
    assertThatThrownBy(() -> FederationSpec.parse(" ".repeat(4097))).hasMessage("flotilla:federation is 4097 characters, at most 4096");
    assertThatThrownBy(() -> FederationSpec.parse("[1, 2]")).hasMessageStartingWith("flotilla:federation is not a JSON object");
    assertThatThrownBy(() -> FederationSpec.parse("{\"project\": 7, \"organisations\": \"all\"}"))
        .hasMessageContaining("project must be a non-empty string")
        .hasMessageContaining("organisations: a list of at least two organisations is required");
  }
}
