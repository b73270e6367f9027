package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RevocationListModel: a Flotilla aggregator reads its domain's revocation list, mounted from flotilla-revoked.<domain>")
class RevocationListModelTest {
  static final JobModel SERVER = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "team"));

  @Test
  @DisplayName("the server pod mounts the domain's list as a directory (updated in place by the kubelet) and passes --revoked-serials once")
  void podMount() {
    Pod pod = PodModel.desired(SERVER);
    assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getName().equals("flotilla-revoked")).singleElement()
        .satisfies(v -> {
          assertThat(v.getConfigMap().getName()).isEqualTo("flotilla-revoked.fl.example.org");
          assertThat(v.getConfigMap().getOptional()).as("a missing list must keep the pod from starting, not start it unchecked").isNull();
        });
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getVolumeMounts()).filteredOn(m -> m.getName().equals("flotilla-revoked")).singleElement().satisfies(m -> {
      assertThat(m.getMountPath()).isEqualTo("/etc/flotilla/revoked");
      assertThat(m.getSubPath()).isNull();
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(c.getArgs()).filteredOn(a -> a.startsWith("--revoked-serials")).containsExactly("--revoked-serials=/etc/flotilla/revoked/serials");
  }

  @Test
  @DisplayName("a template passing its own --revoked-serials keeps it and gets no mount")
  void templateOwnList() {
    IflearnerJob own = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    own.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--revoked-serials=/data/revoked");
    Pod pod = PodModel.desired(new JobModel(own));
    assertThat(pod.getSpec().getContainers().get(0).getArgs()).filteredOn(a -> a.startsWith("--revoked-serials"))
        .containsExactly("--revoked-serials=/data/revoked");
    assertThat(pod.getSpec().getVolumes()).noneMatch(v -> v.getName().equals("flotilla-revoked"));
  }

  @Test
  @DisplayName("iflearner servers and parties get no list: they do not check client certificates against one")
  void appliesTo() {
    assertThat(RevocationListModel.appliesTo(SERVER)).isTrue();
    for (String sample : new String[] {"iflearner/iflearnerjob-server.yaml", "flotilla-fashion-mnist/party-a.yaml"}) {
      JobModel job = new JobModel(Samples.load(sample, "team"));
      assertThat(RevocationListModel.appliesTo(job)).as(sample).isFalse();
      assertThat(PodModel.desired(job).getSpec().getVolumes()).as(sample).noneMatch(v -> v.getName().equals("flotilla-revoked"));
    }
  }

  @Test
  @DisplayName("the empty list: name, namespace, key serials empty, the controller's labels, no owner (a revocation outlives any job)")
  void empty() {
    ConfigMap list = RevocationListModel.empty("team", "fl.example.org");
    assertThat(list.getMetadata().getName()).isEqualTo("flotilla-revoked.fl.example.org");
    assertThat(list.getMetadata().getNamespace()).isEqualTo("team");
    assertThat(list.getData()).containsExactly(entry("serials", ""));
    assertThat(list.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "flotilla-controller")
        .containsEntry("app.kubernetes.io/component", "enrollment");
    assertThat(list.getMetadata().getOwnerReferences()).isEmpty();
  }
}
