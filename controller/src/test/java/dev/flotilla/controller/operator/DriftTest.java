package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DriftTest {

  private static Service desired() {
    return new ServiceBuilder().withNewMetadata().withName("s").addToLabels("a", "1").endMetadata()
        .withNewSpec().addNewPort().withName("grpc").withPort(8443).endPort().endSpec().build();
  }

  @Test
  @DisplayName("defaults and extra fields added by others are no drift")
  void extraFieldsAreFine() {
    Service actual = new ServiceBuilder(desired()).editMetadata().addToLabels("other", "x").withResourceVersion("7").endMetadata()
        .editSpec().withClusterIP("10.0.0.1").withType("ClusterIP").editFirstPort().withProtocol("TCP").endPort().endSpec().build();
    assertThat(Drift.satisfies(actual, desired())).isTrue();
  }

  @Test
  @DisplayName("named list elements are matched by name: ones injected by others (a token volume) are no drift, a changed one is")
  void namedLists() {
    io.fabric8.kubernetes.api.model.Pod desired = new io.fabric8.kubernetes.api.model.PodBuilder().withNewSpec()
        .addNewVolume().withName("tls").withNewSecret().withSecretName("s").endSecret().endVolume().endSpec().build();
    io.fabric8.kubernetes.api.model.Pod injected = new io.fabric8.kubernetes.api.model.PodBuilder(desired).editSpec()
        .addNewVolume().withName("kube-api-access-x").withNewEmptyDir().endEmptyDir().endVolume().endSpec().build();
    assertThat(Drift.satisfies(injected, desired)).isTrue();
    io.fabric8.kubernetes.api.model.Pod changed = new io.fabric8.kubernetes.api.model.PodBuilder().withNewSpec()
        .addNewVolume().withName("tls").withNewSecret().withSecretName("other").endSecret().endVolume().endSpec().build();
    assertThat(Drift.satisfies(changed, desired)).isFalse();
  }

  @Test
  @DisplayName("a changed or missing field the controller sets is drift, and so is a different list length")
  void changesAreDrift() {
    Service changedLabel = new ServiceBuilder(desired()).editMetadata().addToLabels("a", "2").endMetadata().build();
    assertThat(Drift.satisfies(changedLabel, desired())).isFalse();
    Service changedPort = new ServiceBuilder(desired()).editSpec().editFirstPort().withPort(1).endPort().endSpec().build();
    assertThat(Drift.satisfies(changedPort, desired())).isFalse();
    Service noPort = new ServiceBuilder(desired()).editSpec().withPorts().endSpec().build();
    assertThat(Drift.satisfies(noPort, desired())).isFalse();
    Service noLabels = new ServiceBuilder(desired()).editMetadata().withLabels(null).endMetadata().build();
    assertThat(Drift.satisfies(noLabels, desired())).isFalse();
  }
}
