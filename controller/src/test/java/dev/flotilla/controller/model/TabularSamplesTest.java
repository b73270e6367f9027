package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The "cancer" samples (a job whose server starts from a model file in a ConfigMap and whose parties
 * read CSV files from their own volume) hang together: every volume, mount and path they name exists
 * in the pod the controller builds, and nothing in them is refused where the CA keys live.
 */
@DisplayName("the tabular samples: initial model from a ConfigMap, party data from a volume")
class TabularSamplesTest {

  private static final JobModel SERVER = new JobModel(Samples.load("flotilla-tabular/server.yaml", "hospital"));

  private static Container container(Pod pod) {
    return pod.getSpec().getContainers().get(0);
  }

  private static String argument(Container container, String flag) {
    return container.getArgs().stream().filter(a -> a.startsWith(flag + "=")).map(a -> a.substring(flag.length() + 1))
        .findFirst().orElseThrow(() -> new AssertionError(flag + " not in " + container.getArgs()));
  }

  private static Volume volume(Pod pod, String name) {
    return pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static VolumeMount mountOf(Container container, String volume) {
    return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
        .orElseThrow(() -> new AssertionError("no mount of " + volume));
  }

  private static <T extends HasMetadata> List<T> objects(String file, Class<T> kind) throws IOException {
    try (InputStream in = Files.newInputStream(Samples.sample(file))) {
      Object parsed = Serialization.unmarshal(in);
      List<?> all = parsed instanceof List<?> list ? list : List.of(parsed);
      return all.stream().filter(kind::isInstance).map(kind::cast).toList();
    }
  }

  @Test
  @DisplayName("the server's --initial-model is a key of the sample ConfigMap's binaryData, mounted read-only where the argument points")
  void initialModelFromConfigMap() throws IOException {
    Pod pod = PodModel.desired(SERVER);
    Container server = container(pod);
    String path = argument(server, "--initial-model");
    Volume model = volume(pod, "initial-model");
    VolumeMount mount = mountOf(server, "initial-model");
    ConfigMap configMap = objects("flotilla-tabular/model.yaml", ConfigMap.class).get(0);

    assertThat(model.getConfigMap().getName()).isEqualTo(configMap.getMetadata().getName());
    assertThat(mount.getReadOnly()).isTrue();
    assertThat(path).startsWith(mount.getMountPath() + "/");
    assertThat(configMap.getBinaryData()).containsOnlyKeys(path.substring(mount.getMountPath().length() + 1));
    assertThat(server.getArgs()).noneMatch(a -> a.startsWith("--model"));
    // the controller's own volumes come on top of the sample's
    assertThat(pod.getSpec().getVolumes()).extracting(Volume::getName).contains("initial-model", "state", "flotilla-tls");
  }

  @ParameterizedTest(name = "party {0}")
  @ValueSource(strings = {"a", "b"})
  @DisplayName("each party mounts its own PersistentVolumeClaim read-only at /data and reads its train and test CSV from it")
  void partyDataFromItsVolume(String party) throws IOException {
    Pod pod = PodModel.desired(new JobModel(Samples.load("flotilla-tabular/party-" + party + ".yaml", "hospital")));
    Container container = container(pod);
    Volume data = volume(pod, "data");
    VolumeMount mount = mountOf(container, "data");
    List<String> claims = objects("flotilla-tabular/data.yaml", PersistentVolumeClaim.class).stream()
        .map(c -> c.getMetadata().getName()).toList();

    assertThat(data.getPersistentVolumeClaim().getClaimName()).isEqualTo("cancer-" + party + "-data").isIn(claims);
    assertThat(data.getPersistentVolumeClaim().getReadOnly()).isTrue();
    assertThat(mount.getReadOnly()).isTrue();
    assertThat(argument(container, "--data")).isEqualTo(mount.getMountPath() + "/train.csv");
    assertThat(argument(container, "--test-data")).isEqualTo(mount.getMountPath() + "/test.csv");
    assertThat(argument(container, "--server-name")).isEqualTo(SERVER.host());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"flotilla-tabular/server.yaml", "flotilla-tabular/party-a.yaml", "flotilla-tabular/party-b.yaml"})
  @DisplayName("neither a ConfigMap nor a PersistentVolumeClaim volume is refused in the controller's own namespace")
  void allowedInTheControllerNamespace(String file) {
    JobModel job = new JobModel(Samples.load(file, "flotilla-system"));
    assertThat(ControllerNamespaceCheck.refusal(job, "flotilla-system")).isEmpty();
  }
}
