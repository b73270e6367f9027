package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartiesModelTest {

  private static final JobModel SERVER = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "team"));
  private static final HostPolicy DEFAULTS = HostPolicy.defaults();

  private static IflearnerJob party(String name, String host, String namespace) {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/party-a.yaml", namespace);
    j.getMetadata().setName(name);
    j.getSpec().setHost(host);
    return j;
  }

  @Test
  @DisplayName("the parties are the client jobs of the server's namespace with its job and domain, sorted, each once")
  void partiesOfTheJob() {
    List<IflearnerJob> jobs = new ArrayList<>(List.of(
        party("p-b", "fashion.b.party.fl.example.org", "team"),
        party("p-a", "fashion.a.party.fl.example.org", "team"),
        party("p-a-again", "MNIST.a.party.fl.example.org.", "team"),
        party("other-job", "cifar.c.party.fl.example.org", "team"),
        party("other-domain", "fashion.d.party.other.example", "team"),
        party("other-namespace", "fashion.e.party.fl.example.org", "elsewhere"),
        party("server-shaped", "fashion.server.fl.example.org", "team"),
        Samples.load("flotilla-fashion-mnist/server.yaml", "team")));
    IflearnerJob deleting = party("p-gone", "fashion.g.party.fl.example.org", "team");
    deleting.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    jobs.add(deleting);
    IflearnerJob serverRole = party("wrong-role", "fashion.s.party.fl.example.org", "team");
    serverRole.getSpec().setRole(Role.SERVER);
    jobs.add(serverRole);

    assertThat(PartiesModel.parties(SERVER, jobs, DEFAULTS, () -> ClaimProof.NONE)).containsExactly("a", "b");
  }

  @Test
  @DisplayName("a party the controller refuses (domain not allowed, spec.domain mismatch, contradicting virtual parties) is not declared; a refused server declares nobody")
  void refusedJobsDeclareNothing() {
    IflearnerJob mismatched = party("p-m", "fashion.m.party.fl.example.org", "team");
    mismatched.getSpec().setDomain("other.example");
    assertThat(PartiesModel.parties(SERVER, List.of(mismatched, party("p-a", "fashion.a.party.fl.example.org", "team")), DEFAULTS, () -> ClaimProof.NONE))
        .containsExactly("a");
    IflearnerJob contradicted = party("p-v", "fashion.v.party.fl.example.org", "team");
    contradicted.getSpec().setVirtualParties(5);
    contradicted.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--virtual-parties=3");
    assertThat(PartiesModel.parties(SERVER, List.of(contradicted, party("p-a", "fashion.a.party.fl.example.org", "team")), DEFAULTS, () -> ClaimProof.NONE))
        .as("a party job refused for its virtual parties gets no pod, so none of its names is admitted").containsExactly("a");
    contradicted.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().remove("--virtual-parties=3");
    assertThat(PartiesModel.parties(SERVER, List.of(contradicted), DEFAULTS, () -> ClaimProof.NONE)).hasSize(5);
    HostPolicy elsewhere = HostPolicy.of(List.of(), List.of("other.example"));
    assertThat(PartiesModel.parties(SERVER, List.of(party("p-a", "fashion.a.party.fl.example.org", "team")), elsewhere, () -> ClaimProof.NONE)).isEmpty();
  }

  @Test
  @DisplayName("the ConfigMap <server>-parties holds one name per line under 'parties', owned and labelled like every child")
  void configMap() {
    ConfigMap cm = PartiesModel.configMap(SERVER, List.of("b", "a"));
    ChildModelsTest.assertOwnedChild(cm, SERVER, "fashion-server-parties");
    assertThat(cm.getData()).containsExactly(entry("parties", "a\nb\n"));
    assertThat(PartiesModel.configMap(SERVER, List.of()).getData()).containsExactly(entry("parties", ""));
  }

  @Test
  @DisplayName("only Flotilla servers get the file: iflearner servers and all clients do not")
  void appliesTo() {
    assertThat(PartiesModel.appliesTo(SERVER)).isTrue();
    assertThat(PartiesModel.appliesTo(new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "team")))).isFalse();
    assertThat(PartiesModel.appliesTo(new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "team")))).isFalse();
  }

  @Test
  @DisplayName("the server pod mounts the ConfigMap as a directory (a subPath would never be updated) and passes --allow-party-file once")
  void podMount() {
    Pod pod = PodModel.desired(SERVER);
    assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getName().equals("flotilla-parties")).singleElement()
        .satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("fashion-server-parties"));
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getVolumeMounts()).filteredOn(m -> m.getName().equals("flotilla-parties")).singleElement().satisfies(m -> {
      assertThat(m.getMountPath()).isEqualTo("/etc/flotilla/parties");
      assertThat(m.getSubPath()).isNull();
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(c.getArgs()).filteredOn(a -> a.startsWith("--allow-party-file")).containsExactly("--allow-party-file=/etc/flotilla/parties/parties");

    IflearnerJob own = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    own.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--allow-party-file=/data/mine");
    assertThat(PodModel.desired(new JobModel(own)).getSpec().getContainers().get(0).getArgs())
        .filteredOn(a -> a.startsWith("--allow-party-file")).containsExactly("--allow-party-file=/data/mine");
  }
}
