package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartiesModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("PartiesFileStep: a Flotilla server's parties file from the jobs the informers hold")
class PartiesFileStepTest {

  KubernetesClient client;

  PartiesFileStep step(List<IflearnerJob> jobs) {
    ObservedState observed = new ObservedState() {
      @Override
      public List<IflearnerJob> jobsIn(String namespace) {
        return jobs.stream().filter(j -> j.getMetadata().getNamespace().equals(namespace)).toList();
      }

      @Override
      public List<io.fabric8.kubernetes.api.model.Secret> certificateAuthoritiesFor(String jobNamespace) {
        throw new AssertionError("not asked by this step");
      }
    };
    return new PartiesFileStep(new ChildApplier(client), observed, HostPolicy.defaults());
  }

  @Test
  @DisplayName("the file lists the party jobs of the server's job, one per line, owned by the server job; the condition is PartiesFileReady")
  void desiredFromJobs() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    List<IflearnerJob> jobs = List.of(Samples.load("flotilla-fashion-mnist/party-b.yaml", StepFixtures.NAMESPACE),
        Samples.load("flotilla-fashion-mnist/party-a.yaml", StepFixtures.NAMESPACE),
        Samples.load("flotilla-fashion-mnist/party-c.yaml", "elsewhere"), server.job());
    ConfigMap file = step(jobs).desired(server, jobs);
    assertThat(file.getMetadata().getName()).isEqualTo("fashion-server-parties");
    assertThat(file.getData()).containsExactly(entry(PartiesModel.KEY, "a\nb\n"));
    assertThat(file.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-fashion-server"));
    assertThat(step(jobs).conditionType(server)).isEqualTo("PartiesFileReady");
    assertThat(step(jobs).failureReason(server)).isEqualTo("PartiesFileFailed");
  }

  @Test
  @DisplayName("for a job that is no Flotilla server it reports nothing and removes a parties file the job owns, and only that")
  void notAServer() {
    JobModel iflearner = StepFixtures.model("iflearner/iflearnerjob-server.yaml");
    ConfigMap owned = new ConfigMapBuilder().withNewMetadata().withName("iflearnerjob-server-parties").withNamespace(StepFixtures.NAMESPACE)
        .withOwnerReferences(iflearner.ownerReference()).endMetadata().build();
    client.configMaps().inNamespace(StepFixtures.NAMESPACE).resource(owned).create();
    assertThat(step(List.of()).reconcile(StepFixtures.context(iflearner))).isNull();
    assertThat(client.configMaps().inNamespace(StepFixtures.NAMESPACE).withName("iflearnerjob-server-parties").get()).isNull();

    ConfigMap someoneElses = new ConfigMapBuilder().withNewMetadata().withName("iflearnerjob-server-parties")
        .withNamespace(StepFixtures.NAMESPACE).endMetadata().build();
    client.configMaps().inNamespace(StepFixtures.NAMESPACE).resource(someoneElses).create();
    assertThat(step(List.of()).reconcile(StepFixtures.context(iflearner))).isNull();
    assertThat(client.configMaps().inNamespace(StepFixtures.NAMESPACE).withName("iflearnerjob-server-parties").get()).isNotNull();
  }

  @Test
  @DisplayName("a Flotilla server's reconcile creates its domain's revocation list empty, and leaves an existing one (with revocations) as it is")
  void revocationList() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    String name = "flotilla-revoked.fl.example.org";
    // the mock server applies (server-side) only over an existing object
    client.configMaps().inNamespace(StepFixtures.NAMESPACE).resource(PartiesModel.configMap(server, List.of())).create();
    assertThat(step(List.of(server.job())).reconcile(StepFixtures.context(server)).message())
        .isEqualTo("ConfigMap fashion-server-parties lists 0 parties of the namespace's jobs; revocation list ConfigMap "
            + name + " in place");
    ConfigMap made = client.configMaps().inNamespace(StepFixtures.NAMESPACE).withName(name).get();
    assertThat(made.getData()).containsExactly(entry("serials", ""));
    assertThat(made.getMetadata().getOwnerReferences()).isEmpty();

    made.setData(java.util.Map.of("serials", "3f9a alice\n"));
    client.configMaps().inNamespace(StepFixtures.NAMESPACE).resource(made).update();
    step(List.of(server.job())).reconcile(StepFixtures.context(server));
    assertThat(client.configMaps().inNamespace(StepFixtures.NAMESPACE).withName(name).get().getData())
        .containsExactly(entry("serials", "3f9a alice\n"));
  }
}
