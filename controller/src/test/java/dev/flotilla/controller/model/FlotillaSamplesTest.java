package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every job of config/samples that runs the project's own images, as its template is written (before
 * the controller's defaults): what a pasted sample needs to run and to end on a real node.
 */
@DisplayName("the Flotilla samples run when pasted: restart policy, resources, and every path argument on a volume of the sample set")
class FlotillaSamplesTest {

  /** Flags whose value is a file or directory the container reads or writes. */
  private static final List<String> PATH_FLAGS = List.of("--data", "--test-data", "--initial-model", "--state-dir");

  record Sample(Path file, IflearnerJob job, Set<String> claims, Set<String> configMaps) {
    @Override
    public String toString() {
      return Samples.repoRoot().relativize(file).toString();
    }
  }

  static Stream<Sample> flotillaJobs() throws IOException {
    List<Sample> out = new ArrayList<>();
    try (Stream<Path> sets = Files.list(Samples.repoRoot().resolve("config/samples"))) {
      for (Path set : sets.filter(Files::isDirectory).sorted().toList()) {
        List<Path> files;
        try (Stream<Path> s = Files.list(set)) {
          files = s.filter(p -> p.toString().endsWith(".yaml") && !p.endsWith("kustomization.yaml")).sorted().toList();
        }
        Set<String> claims = names(files, "PersistentVolumeClaim");
        Set<String> configMaps = names(files, "ConfigMap");
        for (Path file : files) {
          String text = Files.readString(file);
          if (text.contains("\nkind: IflearnerJob")) {
            IflearnerJob job = Serialization.unmarshal(text, IflearnerJob.class);
            if (JobModel.isFlotillaRuntimeImage(job.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())) {
              out.add(new Sample(file, job, claims, configMaps));
            }
          }
        }
      }
    }
    return out.stream();
  }

  @Test
  @DisplayName("the Flotilla sample sets hold 7 jobs: fashion (server, parties a, b, c) and cancer (server, parties a, b)")
  void found() throws IOException {
    assertThat(flotillaJobs().map(s -> s.job().getMetadata().getName())).containsExactlyInAnyOrder("fashion-server",
        "fashion-party-a", "fashion-party-b", "fashion-party-c", "cancer-server", "cancer-party-a", "cancer-party-b");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("flotillaJobs")
  @DisplayName("restartPolicy OnFailure (a finished job stays finished, a crashed one comes back)")
  void restartPolicy(Sample sample) {
    assertThat(podSpec(sample).getRestartPolicy()).isEqualTo("OnFailure");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("flotillaJobs")
  @DisplayName("every container requests cpu and memory and has a memory limit (a JVM with PyTorch: the limit bounds it)")
  void resources(Sample sample) {
    for (Container c : podSpec(sample).getContainers()) {
      assertThat(c.getResources()).as(c.getName()).isNotNull();
      assertThat(c.getResources().getRequests()).as(c.getName() + " requests").containsKeys("cpu", "memory");
      Quantity limit = c.getResources().getLimits() == null ? null : c.getResources().getLimits().get("memory");
      assertThat(limit).as(c.getName() + " memory limit").isNotNull();
      assertThat(Quantity.getAmountInBytes(limit)).isGreaterThanOrEqualTo(Quantity.getAmountInBytes(c.getResources().getRequests().get("memory")));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("flotillaJobs")
  @DisplayName("each --data, --test-data, --initial-model and --state-dir lies on a volume mount of its container, whose volume is a node directory, an emptyDir, or a claim or ConfigMap the sample set itself defines; data is mounted read-only")
  void pathsOnVolumes(Sample sample) {
    PodSpec pod = podSpec(sample);
    for (Container c : pod.getContainers()) {
      for (String flag : PATH_FLAGS) {
        Optional<String> value = c.getArgs().stream().filter(a -> a.startsWith(flag + "=")).map(a -> a.substring(flag.length() + 1)).findFirst();
        if (value.isEmpty()) {
          continue;
        }
        VolumeMount mount = c.getVolumeMounts() == null ? null : c.getVolumeMounts().stream()
            .filter(m -> value.get().equals(m.getMountPath()) || value.get().startsWith(m.getMountPath() + "/"))
            .findFirst().orElse(null);
        assertThat(mount).as(flag + "=" + value.get() + " of " + c.getName() + " on a volume mount").isNotNull();
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        if (flag.equals("--state-dir")) {
          assertThat(volume.getEmptyDir() != null || volume.getPersistentVolumeClaim() != null).as("state volume " + volume.getName()).isTrue();
          assertThat(mount.getReadOnly()).as("state mount writable").isNotEqualTo(Boolean.TRUE);
        } else {
          assertThat(mount.getReadOnly()).as(flag + " mount read-only").isTrue();
          if (volume.getPersistentVolumeClaim() != null) {
            assertThat(sample.claims()).as("claims of the sample set").contains(volume.getPersistentVolumeClaim().getClaimName());
          } else if (volume.getConfigMap() != null) {
            assertThat(sample.configMaps()).as("ConfigMaps of the sample set").contains(volume.getConfigMap().getName());
          } else {
            assertThat(volume.getHostPath()).as(flag + " volume: hostPath, claim or ConfigMap").isNotNull();
            assertThat(volume.getHostPath().getType()).isEqualTo("Directory");
          }
        }
      }
    }
  }

  private static PodSpec podSpec(Sample sample) {
    return sample.job().getSpec().getTemplate().getSpec();
  }

  private static Set<String> names(List<Path> files, String kind) throws IOException {
    Set<String> out = new java.util.HashSet<>();
    for (Path file : files) {
      for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
        if (doc.contains("\nkind: " + kind) || doc.startsWith("kind: " + kind)) {
          out.add(Serialization.unmarshal(doc, GenericKubernetesResource.class).getMetadata().getName());
        }
      }
    }
    return out.stream().collect(Collectors.toSet());
  }
}
