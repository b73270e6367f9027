package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ControllerNamespaceCheckTest {

  static final String CONTROLLER_NS = "flotilla-system";

  static Optional<String> check(String namespace, Consumer<PodSpec> edit) {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", namespace);
    edit.accept(job.getSpec().getTemplate().getSpec());
    return ControllerNamespaceCheck.refusal(new JobModel(job), CONTROLLER_NS);
  }

  static void secretVolume(PodSpec spec) {
    spec.setVolumes(List.of(new VolumeBuilder().withName("ca").withNewSecret().withSecretName("flotilla-ca.x.y").endSecret().build()));
  }

  @Test
  @DisplayName("the shipped samples may run in the controller's namespace, except parties that read their data from the node")
  void samplesPass() {
    for (String sample : List.of("iflearner/iflearnerjob-server.yaml", "iflearner/iflearnerjob-client1.yaml", "iflearner/iflearnerjob-client2.yaml",
        "flotilla-fashion-mnist/server.yaml")) {
      assertThat(ControllerNamespaceCheck.refusal(new JobModel(Samples.load(sample, CONTROLLER_NS)), CONTROLLER_NS)).as(sample).isEmpty();
    }
    assertThat(ControllerNamespaceCheck.refusal(new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", CONTROLLER_NS)),
        CONTROLLER_NS)).hasValueSatisfying(m -> assertThat(m).contains("(volumes[0].hostPath)"));
  }

  @Test
  @DisplayName("outside the controller's namespace a template may refer to its namespace's Secrets and ServiceAccounts")
  void otherNamespacesFree() {
    assertThat(check("team-a", s -> {
      secretVolume(s);
      s.setServiceAccountName("trainer");
    })).isEmpty();
  }

  @Test
  @DisplayName("in the controller's namespace a Secret volume, projected Secret, env secretKeyRef, envFrom secretRef or CSI secret is refused, each named by its path")
  void secretReferencesRefused() {
    assertThat(check(CONTROLLER_NS, ControllerNamespaceCheckTest::secretVolume)).hasValueSatisfying(m -> assertThat(m)
        .startsWith(CONTROLLER_NS + "/fashion-server: spec.template refers to Secrets (volumes[0].secret)")
        .contains("where the CA keys are kept").contains("Run the job in another namespace"));
    assertThat(check(CONTROLLER_NS, s -> s.setVolumes(List.of(new VolumeBuilder().withName("p").withNewProjected()
        .addNewSource().withNewSecret().withName("x").endSecret().endSource().endProjected().build()))))
        .hasValueSatisfying(m -> assertThat(m).contains("(volumes[0].projected.sources[0].secret)"));
    assertThat(check(CONTROLLER_NS, s -> s.getContainers().get(0).setEnv(List.of(new EnvVarBuilder().withName("K")
        .withNewValueFrom().withNewSecretKeyRef().withName("x").withKey("k").endSecretKeyRef().endValueFrom().build()))))
        .hasValueSatisfying(m -> assertThat(m).contains("(containers[0].env[0].valueFrom.secretKeyRef)"));
    assertThat(check(CONTROLLER_NS, s -> s.getContainers().get(0).setEnvFrom(List.of(new EnvFromSourceBuilder()
        .withNewSecretRef().withName("x").endSecretRef().build()))))
        .hasValueSatisfying(m -> assertThat(m).contains("(containers[0].envFrom[0].secretRef)"));
    assertThat(check(CONTROLLER_NS, s -> s.setVolumes(List.of(new VolumeBuilder().withName("c").withNewCsi().withDriver("d")
        .withNewNodePublishSecretRef().withName("x").endNodePublishSecretRef().endCsi().build()))))
        .hasValueSatisfying(m -> assertThat(m).contains("(volumes[0].csi.nodePublishSecretRef)"));
  }

  @Test
  @DisplayName("in the controller's namespace a ServiceAccount other than default is refused; default and image pull Secrets are fine")
  void serviceAccounts() {
    assertThat(check(CONTROLLER_NS, s -> s.setServiceAccountName("flotilla-controller"))).hasValueSatisfying(m -> assertThat(m)
        .contains("runs as ServiceAccount flotilla-controller in the controller's namespace flotilla-system"));
    assertThat(check(CONTROLLER_NS, s -> s.setServiceAccount("flotilla-controller"))).isPresent();
    assertThat(check(CONTROLLER_NS, s -> s.setServiceAccountName("default"))).isEmpty();
    assertThat(check(CONTROLLER_NS, s -> s.setImagePullSecrets(List.of(new LocalObjectReferenceBuilder().withName("regcred").build()))))
        .isEmpty();
  }

  @Test
  @DisplayName("a template in the controller's namespace that reaches into its node is refused, naming how: hostPath, host namespaces, nodeName, privileged, added capabilities; elsewhere it is the namespace's business")
  void hostAccessRefused() {
    java.util.Map<String, Consumer<PodSpec>> escapes = new java.util.LinkedHashMap<>();
    escapes.put("volumes[0].hostPath", s -> {
      s.setNodeName(null);
      s.setVolumes(List.of(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("kubelet")
          .withNewHostPath().withPath("/var/lib/kubelet/pods").endHostPath().build()));
    });
    escapes.put("hostPID", s -> s.setHostPID(true));
    escapes.put("hostNetwork", s -> s.setHostNetwork(true));
    escapes.put("hostIPC", s -> s.setHostIPC(true));
    escapes.put("nodeName", s -> s.setNodeName("the-controllers-node"));
    escapes.put("privileged", s -> s.getContainers().get(0).setSecurityContext(
        new io.fabric8.kubernetes.api.model.SecurityContextBuilder().withPrivileged(true).build()));
    escapes.put("capabilities.add [SYS_PTRACE]", s -> s.getContainers().get(0).setSecurityContext(
        new io.fabric8.kubernetes.api.model.SecurityContextBuilder().withNewCapabilities().withAdd("SYS_PTRACE")
            .endCapabilities().build()));
    escapes.forEach((what, edit) -> {
      assertThat(check(CONTROLLER_NS, edit)).as(what).hasValueSatisfying(m -> assertThat(m)
          .contains("reaches into its node (").contains(what).contains("where the CA keys are kept"));
      assertThat(check("team-a", edit)).as(what + " in another namespace").isEmpty();
    });
  }
}
