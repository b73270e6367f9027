package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PodSecurityModelTest {

  static Pod pod(String sample, Consumer<IflearnerJob> edit) {
    IflearnerJob job = Samples.load(sample, "fl");
    edit.accept(job);
    return PodModel.desired(new JobModel(job));
  }

  static Container first(Pod p) {
    return p.getSpec().getContainers().get(0);
  }

  @Nested
  @DisplayName("when the template says nothing")
  class Defaults {
    @Test
    @DisplayName("an iflearner pod: no service-account token, RuntimeDefault seccomp, no privilege escalation, every capability "
        + "dropped; neither runAsNonRoot nor a read-only root (its image runs as root and writes its dataset beside its code)")
    void iflearnerImage() {
      Pod p = pod("iflearner/iflearnerjob-server.yaml", j -> { });
      assertThat(p.getSpec().getAutomountServiceAccountToken()).isFalse();
      assertThat(p.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      assertThat(p.getSpec().getSecurityContext().getRunAsNonRoot()).isNull();
      assertThat(p.getSpec().getSecurityContext().getRunAsUser()).isNull();
      SecurityContext sc = first(p).getSecurityContext();
      assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
      assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(sc.getCapabilities().getAdd()).isEmpty();
      assertThat(sc.getPrivileged()).isNull();
      assertThat(sc.getRunAsNonRoot()).isNull();
      assertThat(sc.getReadOnlyRootFilesystem()).isNull();
      assertThat(sc.getSeccompProfile()).isNull();
      assertThat(p.getSpec().getVolumes()).extracting(Volume::getName).doesNotContain("flotilla-tmp");
    }

    @Test
    @DisplayName("a Flotilla pod also runs as non-root on a read-only root filesystem, with an emptyDir at /tmp; the template's fsGroup and UID stay")
    void flotillaImage() {
      Pod p = pod("flotilla-fashion-mnist/server.yaml", j -> { });
      assertThat(p.getSpec().getAutomountServiceAccountToken()).isFalse();
      assertThat(p.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      assertThat(p.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(10001L);
      assertThat(p.getSpec().getSecurityContext().getFsGroup()).isEqualTo(10001L);
      SecurityContext sc = first(p).getSecurityContext();
      assertThat(sc.getRunAsNonRoot()).isTrue();
      assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
      assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
      assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(first(p).getVolumeMounts()).filteredOn(m -> m.getMountPath().equals("/tmp"))
          .singleElement().satisfies(m -> {
            assertThat(m.getName()).isEqualTo("flotilla-tmp");
            assertThat(m.getReadOnly()).isNull();
          });
      assertThat(p.getSpec().getVolumes()).filteredOn(v -> v.getName().equals("flotilla-tmp")).singleElement()
          .satisfies(v -> {
            assertThat(v.getEmptyDir()).isNotNull();
            assertThat(v.getEmptyDir().getMedium()).isNull();
          });
    }

    @Test
    @DisplayName("init containers are hardened like the others")
    void initContainers() {
      Pod p = pod("flotilla-fashion-mnist/party-a.yaml", j -> j.getSpec().getTemplate().getSpec().setInitContainers(List.of(
          new ContainerBuilder().withName("fetch").withImage("busybox:1.36").build())));
      SecurityContext sc = p.getSpec().getInitContainers().get(0).getSecurityContext();
      assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
      assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(sc.getRunAsNonRoot()).isNull();
    }

    @Test
    @DisplayName("building the pod leaves the job's template untouched")
    void templateUntouched() {
      IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
      PodModel.desired(new JobModel(job));
      assertThat(job.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isNull();
      assertThat(job.getSpec().getTemplate().getSpec().getSecurityContext().getSeccompProfile()).isNull();
      assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext()).isNull();
      assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).hasSize(1);
    }
  }

  @Nested
  @DisplayName("when the template chooses")
  class ExplicitChoices {
    @Test
    @DisplayName("automountServiceAccountToken: true and an Unconfined seccomp profile are kept")
    void podLevelChoicesWin() {
      Pod p = pod("iflearner/iflearnerjob-server.yaml", j -> {
        j.getSpec().getTemplate().getSpec().setAutomountServiceAccountToken(true);
        j.getSpec().getTemplate().getSpec().setSecurityContext(new PodSecurityContextBuilder()
            .withSeccompProfile(new SeccompProfileBuilder().withType("Unconfined").build()).build());
      });
      assertThat(p.getSpec().getAutomountServiceAccountToken()).isTrue();
      assertThat(p.getSpec().getSecurityContext().getSeccompProfile().getType()).isEqualTo("Unconfined");
    }

    @Test
    @DisplayName("a template still using the seccomp annotation gets no seccomp field (the API server refuses the two disagreeing)")
    void seccompAnnotation() {
      Pod p = pod("iflearner/iflearnerjob-server.yaml", j -> j.getSpec().getTemplate().setMetadata(new ObjectMetaBuilder()
          .withAnnotations(Map.of("seccomp.security.alpha.kubernetes.io/pod", "unconfined")).build()));
      assertThat(p.getSpec().getSecurityContext().getSeccompProfile()).isNull();
      assertThat(p.getMetadata().getAnnotations()).containsEntry("seccomp.security.alpha.kubernetes.io/pod", "unconfined");
    }

    @Test
    @DisplayName("allowPrivilegeEscalation, dropped and added capabilities and readOnlyRootFilesystem: false are the template's; no /tmp volume then")
    void containerChoicesWin() {
      Pod p = pod("flotilla-fashion-mnist/server.yaml", j -> first(j).setSecurityContext(new SecurityContextBuilder()
          .withAllowPrivilegeEscalation(true)
          .withCapabilities(new CapabilitiesBuilder().withDrop("NET_RAW").withAdd("NET_BIND_SERVICE").build())
          .withReadOnlyRootFilesystem(false)
          .build()));
      SecurityContext sc = first(p).getSecurityContext();
      assertThat(sc.getAllowPrivilegeEscalation()).isTrue();
      assertThat(sc.getCapabilities().getDrop()).containsExactly("NET_RAW");
      assertThat(sc.getCapabilities().getAdd()).containsExactly("NET_BIND_SERVICE");
      assertThat(sc.getReadOnlyRootFilesystem()).isFalse();
      assertThat(sc.getRunAsNonRoot()).isTrue();
      assertThat(p.getSpec().getVolumes()).extracting(Volume::getName).doesNotContain("flotilla-tmp");
      assertThat(first(p).getVolumeMounts()).extracting(VolumeMount::getMountPath).doesNotContain("/tmp");
    }

    @Test
    @DisplayName("capabilities.add without drop keeps the addition and still drops the rest")
    void addOnly() {
      Pod p = pod("iflearner/iflearnerjob-server.yaml", j -> first(j).setSecurityContext(new SecurityContextBuilder()
          .withCapabilities(new CapabilitiesBuilder().withAdd("NET_BIND_SERVICE").build()).build()));
      assertThat(first(p).getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(first(p).getSecurityContext().getCapabilities().getAdd()).containsExactly("NET_BIND_SERVICE");
      assertThat(first(p).getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    }

    @Test
    @DisplayName("privileged: true or an added SYS_ADMIN leave allowPrivilegeEscalation unset (the API server refuses false beside them)")
    void privilegedCombinations() {
      Pod privileged = pod("iflearner/iflearnerjob-server.yaml", j -> first(j).setSecurityContext(new SecurityContextBuilder()
          .withPrivileged(true).build()));
      assertThat(first(privileged).getSecurityContext().getAllowPrivilegeEscalation()).isNull();
      assertThat(first(privileged).getSecurityContext().getPrivileged()).isTrue();
      for (String cap : List.of("SYS_ADMIN", "CAP_SYS_ADMIN")) {
        Pod sysAdmin = pod("iflearner/iflearnerjob-server.yaml", j -> first(j).setSecurityContext(new SecurityContextBuilder()
            .withCapabilities(new CapabilitiesBuilder().withAdd(cap).build()).build()));
        assertThat(first(sysAdmin).getSecurityContext().getAllowPrivilegeEscalation()).as(cap).isNull();
      }
    }

    @Test
    @DisplayName("runAsNonRoot chosen at pod level (even false), or UID 0 chosen at pod or container level, keeps runAsNonRoot off the Flotilla container")
    void rootChoices() {
      Pod podFalse = pod("flotilla-fashion-mnist/server.yaml", j -> j.getSpec().getTemplate().getSpec().getSecurityContext().setRunAsNonRoot(false));
      assertThat(first(podFalse).getSecurityContext().getRunAsNonRoot()).isNull();
      assertThat(podFalse.getSpec().getSecurityContext().getRunAsNonRoot()).isFalse();
      Pod podRoot = pod("flotilla-fashion-mnist/server.yaml", j -> j.getSpec().getTemplate().getSpec().getSecurityContext().setRunAsUser(0L));
      assertThat(first(podRoot).getSecurityContext().getRunAsNonRoot()).isNull();
      Pod containerRoot = pod("flotilla-fashion-mnist/server.yaml", j -> first(j).setSecurityContext(new SecurityContextBuilder().withRunAsUser(0L).build()));
      assertThat(first(containerRoot).getSecurityContext().getRunAsNonRoot()).isNull();
      Pod containerUser = pod("flotilla-fashion-mnist/server.yaml", j -> first(j).setSecurityContext(new SecurityContextBuilder().withRunAsUser(2000L).build()));
      assertThat(first(containerUser).getSecurityContext().getRunAsNonRoot()).isTrue();
    }

    @Test
    @DisplayName("a container that already mounts something at /tmp keeps it, and no second /tmp volume is added")
    void ownTmp() {
      Pod p = pod("flotilla-fashion-mnist/party-a.yaml", j -> first(j).setVolumeMounts(List.of(
          new VolumeMountBuilder().withName("scratch").withMountPath("/tmp").build())));
      assertThat(first(p).getVolumeMounts()).filteredOn(m -> m.getMountPath().equals("/tmp")).extracting(VolumeMount::getName)
          .containsExactly("scratch");
      assertThat(p.getSpec().getVolumes()).extracting(Volume::getName).doesNotContain("flotilla-tmp");
      assertThat(first(p).getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    }
  }

  static Container first(IflearnerJob job) {
    return job.getSpec().getTemplate().getSpec().getContainers().get(0);
  }
}
