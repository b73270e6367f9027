package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.model.HostAliasesModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A party pod's hostAliases when the controller may not read Federations: a controller that is no federation
 * member has no Role on them (the cluster tier's controller), and its party pods must still be made.
 */
@EnableKubernetesMockClient
@DisplayName("PodStep without a Role on Federations: the party pod is made with its own cluster's address")
class PodStepFederationAccessTest {

  KubernetesMockServer server;
  KubernetesClient client;

  static final JobModel PARTY = StepFixtures.model("flotilla-fashion-mnist/party-a.yaml");
  static final String ADDRESS = "10.1.2.3";
  static final String FEDERATIONS = "/apis/" + Federation.GROUP + "/" + Federation.VERSION
      + "/namespaces/flotilla-system/federations";

  PodStep step() {
    return new PodStep(client, new ChildApplier(client), new EventRecorder(client, Clock.systemUTC()), "flotilla-system",
        true, List.of());
  }

  @Test
  @DisplayName("403 on listing Federations: no federation to follow, the pod maps the hosts to its own ingress")
  void forbiddenIsNoFederation() {
    server.expect().get().withPath(FEDERATIONS).andReturn(403, new StatusBuilder().withCode(403)
        .withReason("Forbidden").withMessage("federations is forbidden").build()).always();
    Pod pod = step().desired(StepFixtures.context(PARTY, ADDRESS));
    assertThat(pod.getSpec().getHostAliases()).isEqualTo(HostAliasesModel.aliases(PARTY, ADDRESS));
  }

  @Test
  @DisplayName("another failure (500) is not hidden: the step fails and is retried")
  void otherFailuresSurface() {
    server.expect().get().withPath(FEDERATIONS).andReturn(500, new StatusBuilder().withCode(500)
        .withMessage("etcd unavailable").build()).always();
    assertThatThrownBy(() -> step().desired(StepFixtures.context(PARTY, ADDRESS)))
        .isInstanceOf(KubernetesClientException.class);
  }
}
