package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.federation.FederationPartiesTest;
import dev.flotilla.controller.model.HostAliasesModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import dev.flotilla.controller.operator.ObservedState;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Who reads Federations for a party pod's hostAliases: only a federation member's controller
 * ({@code --federation-member}), from its informer's cache. A controller that is no member (the cluster tier's)
 * never asks the API server for them, so it needs no Role on them; a member whose Role is missing fails loudly
 * instead of silently mapping the server host to its own cluster.
 */
@EnableKubernetesMockClient
@DisplayName("PodStep reads Federations only in a federation member's controller")
class PodStepFederationAccessTest {

  KubernetesMockServer server;
  KubernetesClient client;

  static final JobModel PARTY = StepFixtures.model("flotilla-fashion-mnist/party-a.yaml");
  static final String ADDRESS = "10.1.2.3";
  static final String SERVER_HOST = "fashion.server.fl.example.org";
  static final String FEDERATIONS = "/apis/" + Federation.GROUP + "/" + Federation.VERSION
      + "/namespaces/flotilla-system/federations";

  @BeforeEach
  void forbidFederations() {
    // as for a controller without the Role config/rbac/federation grants
    server.expect().get().withPath(FEDERATIONS).andReturn(403, new StatusBuilder().withCode(403)
        .withReason("Forbidden").withMessage("federations is forbidden").build()).always();
  }

  PodStep step(ObservedState federations) {
    return new PodStep(client, new ChildApplier(client), new EventRecorder(client, Clock.systemUTC()), "flotilla-system",
        true, federations, List.of());
  }

  /** The controller's cache holding {@code federations}, and nothing else it may be asked. */
  static ObservedState cache(List<Federation> federations) {
    return new ObservedState() {
      @Override
      public List<IflearnerJob> jobsIn(String namespace) {
        throw new AssertionError("not asked by this step");
      }

      @Override
      public List<Secret> certificateAuthoritiesFor(String jobNamespace) {
        throw new AssertionError("not asked by this step");
      }

      @Override
      public List<Secret> joinSecrets() {
        throw new AssertionError("not asked by this step");
      }

      @Override
      public List<Federation> federations() {
        return federations;
      }
    };
  }

  static String serverAlias(Pod pod) {
    return pod.getSpec().getHostAliases().stream().filter(a -> a.getHostnames().contains(SERVER_HOST))
        .map(HostAlias::getIp).findFirst().orElse(null);
  }

  @Test
  @DisplayName("no federation member: the pod maps the hosts to its own ingress, and the API server is never asked for Federations")
  void noMemberAsksNothing() {
    int before = server.getRequestCount();
    Pod pod = step(null).desired(StepFixtures.context(PARTY, ADDRESS));
    assertThat(pod.getSpec().getHostAliases()).isEqualTo(HostAliasesModel.aliases(PARTY, ADDRESS));
    assertThat(server.getRequestCount()).as("requests to the API server").isEqualTo(before);
  }

  @Test
  @DisplayName("a member reads its cache: the server host maps to the coordinator's address there, with no request to the API server")
  void memberReadsItsCache() {
    int before = server.getRequestCount();
    Pod pod = step(cache(List.of(FederationPartiesTest.federation("fl", "a")))).desired(StepFixtures.context(PARTY, ADDRESS));
    assertThat(serverAlias(pod)).isEqualTo("10.220.0.1");
    assertThat(server.getRequestCount()).as("requests to the API server").isEqualTo(before);
    assertThat(serverAlias(step(cache(List.of())).desired(StepFixtures.context(PARTY, ADDRESS))))
        .as("no Federation of the domain: its own ingress").isEqualTo(ADDRESS);
  }

  @Test
  @DisplayName("a member without a Role on Federations (403) fails the step, rather than pointing its party at its own cluster")
  void memberWithoutRoleFails() {
    assertThatThrownBy(() -> step(ObservedState.direct(client, "flotilla-system")).desired(StepFixtures.context(PARTY, ADDRESS)))
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
  }
}
