package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.Role;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sample set config/samples/flotilla-fashion-mnist (what the single-node cluster tier applies with
 * {@code kubectl apply -k}): the project's own images at the project's version, pulled only if absent,
 * explicit restart policies, the server's state on a volume at its --state-dir, and each party's
 * Fashion-MNIST share read-only from the node.
 */
@DisplayName("the Fashion-MNIST sample set: one aggregator and three parties that run on a node as shipped")
class FashionMnistSamplesTest {

  private static final String SET = "flotilla-fashion-mnist/";
  private static final List<String> PARTIES = List.of("a", "b", "c");

  private static Pod pod(String file) {
    return PodModel.desired(new JobModel(Samples.load(SET + file, "fl")));
  }

  private static String argument(Container container, String flag) {
    return container.getArgs().stream().filter(a -> a.startsWith(flag + "=")).map(a -> a.substring(flag.length() + 1))
        .findFirst().orElseThrow(() -> new AssertionError(flag + " not in " + container.getArgs()));
  }

  static String projectVersion() throws IOException {
    Matcher m = Pattern.compile("<artifactId>flotilla-parent</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(Files.readString(Samples.repoRoot().resolve("pom.xml")));
    assertThat(m.find()).as("the parent pom's version").isTrue();
    return m.group(1);
  }

  @Test
  @DisplayName("the kustomization lists the server and parties a, b, c of job 'fashion'")
  void kustomization() throws IOException {
    assertThat(Files.readString(Samples.sample(SET + "kustomization.yaml")))
        .contains("- server.yaml", "- party-a.yaml", "- party-b.yaml", "- party-c.yaml");
    assertThat(new JobModel(Samples.load(SET + "server.yaml", "fl")).identityUri())
        .isEqualTo("spiffe://fl.example.org/job/fashion/server/fashion");
    for (String p : PARTIES) {
      JobModel party = new JobModel(Samples.load(SET + "party-" + p + ".yaml", "fl"));
      assertThat(party.role()).isEqualTo(Role.CLIENT);
      assertThat(party.identityUri()).isEqualTo("spiffe://fl.example.org/job/fashion/party/" + p);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"server.yaml", "party-a.yaml", "party-b.yaml", "party-c.yaml"})
  @DisplayName("localhost/flotilla/<role>:<project version> with IfNotPresent and restartPolicy OnFailure, so a finished pod stays finished")
  void imagesAndRestartPolicy(String file) throws IOException {
    Pod pod = pod(file);
    Container c = pod.getSpec().getContainers().get(0);
    String role = file.startsWith("server") ? "server" : "party";
    assertThat(c.getImage()).isEqualTo("localhost/flotilla/" + role + ":" + projectVersion());
    assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("OnFailure");
    assertThat(JobModel.isFlotillaRuntimeImage(c.getImage())).isTrue();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
  }

  @Test
  @DisplayName("the server checkpoints into an emptyDir mounted at its --state-dir, and runs 3 rounds with the 3 parties")
  void serverState() {
    Pod pod = pod("server.yaml");
    Container c = pod.getSpec().getContainers().get(0);
    String stateDir = argument(c, "--state-dir");
    VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(stateDir)).findFirst().orElseThrow();
    Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    assertThat(volume.getEmptyDir()).isNotNull();
    assertThat(argument(c, "--rounds")).isEqualTo("3");
    assertThat(argument(c, "--min-parties")).isEqualTo("3");
    assertThat(argument(c, "--expected-parties")).isEqualTo("3");
  }

  @Test
  @DisplayName("each party reads its own share (index 0, 1, 2 of 3) of the node's /usr/share/datasets/fashion-mnist, read-only")
  void partyData() {
    for (int i = 0; i < PARTIES.size(); i++) {
      Pod pod = pod("party-" + PARTIES.get(i) + ".yaml");
      Container c = pod.getSpec().getContainers().get(0);
      String data = argument(c, "--data");
      assertThat(data).isEqualTo("/usr/share/datasets/fashion-mnist");
      VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(data)).findFirst().orElseThrow();
      assertThat(mount.getReadOnly()).isTrue();
      Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
      assertThat(volume.getHostPath().getPath()).isEqualTo("/usr/share/datasets/fashion-mnist");
      assertThat(volume.getHostPath().getType()).isEqualTo("Directory");
      assertThat(argument(c, "--partition-index")).isEqualTo(String.valueOf(i));
      assertThat(argument(c, "--partition-count")).isEqualTo("3");
      assertThat(argument(c, "--server")).isEqualTo("fashion.server.fl.example.org:443");
    }
  }
}
