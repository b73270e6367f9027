package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.federation.FederationPartiesTest;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartiesModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("PartiesFileStep: a Flotilla server's parties file from the jobs the informers hold")
class PartiesFileStepTest {

  KubernetesClient client;

  PartiesFileStep step(List<IflearnerJob> jobs) {
    return step(jobs, null);
  }

  /** A step over {@code jobs}; {@code federations} null: a controller that is no federation member (asking for them fails). */
  PartiesFileStep step(List<IflearnerJob> jobs, List<Federation> federations) {
    ObservedState observed = new ObservedState() {
      @Override
      public List<IflearnerJob> jobsIn(String namespace) {
        return jobs.stream().filter(j -> j.getMetadata().getNamespace().equals(namespace)).toList();
      }

      @Override
      public List<io.fabric8.kubernetes.api.model.Secret> certificateAuthoritiesFor(String jobNamespace) {
        throw new AssertionError("not asked by this step");
      }

      @Override
      public List<io.fabric8.kubernetes.api.model.Secret> joinSecrets() {
        throw new AssertionError("not asked by this step");
      }

      @Override
      public List<Federation> federations() {
        if (federations == null) {
          throw new AssertionError("a controller that is no federation member reads no Federation");
        }
        return federations;
      }
    };
    return new PartiesFileStep(new ChildApplier(client), observed, HostPolicy.defaults(), federations != null,
        new EventRecorder(client, Clock.systemUTC()), () -> dev.flotilla.controller.model.ClaimProof.NONE);
  }

  @Test
  @DisplayName("the file lists the party jobs of the server's job, one per line, owned by the server job; the condition is PartiesFileReady")
  void desiredFromJobs() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    List<IflearnerJob> jobs = List.of(Samples.load("flotilla-fashion-mnist/party-b.yaml", StepFixtures.NAMESPACE),
        Samples.load("flotilla-fashion-mnist/party-a.yaml", StepFixtures.NAMESPACE),
        Samples.load("flotilla-fashion-mnist/party-c.yaml", "elsewhere"), server.job());
    ConfigMap file = step(jobs).desired(server, jobs).file();
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

  @Test
  @DisplayName("a federation member's controller admits the Federation's party members beside the namespace's party jobs, and says so")
  void federationMembers() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    List<IflearnerJob> jobs = List.of(Samples.load("flotilla-fashion-mnist/party-a.yaml", StepFixtures.NAMESPACE), server.job());
    Federation federation = FederationPartiesTest.federation("fl", "hospital-b", "hospital-c");
    PartiesFileStep.Desired desired = step(jobs, List.of(federation)).desired(server, jobs);
    assertThat(desired.file().getData()).containsExactly(entry(PartiesModel.KEY, "a\nhospital-b\nhospital-c\n"));
    assertThat(desired.observation().reason()).isEqualTo(PartiesFileStep.APPLIED);
    assertThat(desired.observation().message()).isEqualTo("ConfigMap fashion-server-parties lists 1 party of the namespace's "
        + "jobs and 2 parties of Federation flotilla-system/fl (hospital-b, hospital-c); revocation list ConfigMap "
        + "flotilla-revoked.fl.example.org in place");

    Federation removed = FederationPartiesTest.federation("fl", "hospital-c");
    assertThat(step(jobs, List.of(removed)).desired(server, jobs).file().getData())
        .containsExactly(entry(PartiesModel.KEY, "a\nhospital-c\n"));
    assertThat(step(jobs).desired(server, jobs).file().getData()).as("no federation member: the namespace's jobs only")
        .containsExactly(entry(PartiesModel.KEY, "a\n"));
  }

  @Test
  @DisplayName("a member claiming a party job's name is refused with the party job: the condition (still ready) names both")
  void claimRefused() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    List<IflearnerJob> jobs = List.of(Samples.load("flotilla-fashion-mnist/party-a.yaml", StepFixtures.NAMESPACE), server.job());
    PartiesFileStep.Desired desired = step(jobs, List.of(FederationPartiesTest.federation("fl", "a", "hospital-b")))
        .desired(server, jobs);
    assertThat(desired.file().getData()).containsExactly(entry(PartiesModel.KEY, "hospital-b\n"));
    Observation observation = desired.observation();
    assertThat(observation.ready()).isTrue();
    assertThat(observation.reason()).isEqualTo(PartiesFileStep.MEMBERS_REFUSED);
    assertThat(observation.message()).contains("lists 0 parties of the namespace's jobs and 1 party of Federation flotilla-system/fl")
        .endsWith("; refused: member a of Federation flotilla-system/fl and a party job of the namespace both claim a; "
            + "neither is admitted until one is renamed or removed");
  }

  @Test
  @DisplayName("the condition lists at most 8 member names and 8 refusals, and how many more: a flood of members keeps it short")
  void messageBounded() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    String[] members = new String[30];
    java.util.Set<String> local = new java.util.TreeSet<>();
    for (int i = 0; i < members.length; i++) {
      members[i] = "member-" + (char) ('a' + i % 26) + i;
      if (i >= 20) {
        local.add(members[i]);
      }
    }
    var admission = dev.flotilla.controller.federation.FederationParties.of("fl.example.org",
        List.of(FederationPartiesTest.federation("fl", members)), local);
    assertThat(admission.members()).hasSize(20);
    assertThat(admission.refusals()).hasSize(10);
    String message = PartiesFileStep.observation(server, admission.local(), admission).message();
    assertThat(message).contains("and 20 parties of Federation flotilla-system/fl (").contains(", and 12 more)")
        .endsWith("; and 2 more");
    assertThat(message.length()).isLessThan(2000);
  }
}
