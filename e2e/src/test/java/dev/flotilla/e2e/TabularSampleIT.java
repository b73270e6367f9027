package dev.flotilla.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bring-your-own-model sample job "cancer" (config/samples/flotilla-tabular-*.yaml) run as it
 * would run in its pods, minus Kubernetes: the server jar starts from the initial model in the
 * sample's ConfigMap, and the party jars get the sample's data arguments (format, label column,
 * classes) on CSV files like the ones its volumes are meant to hold. So the samples name flags the
 * jars have, and a model and data that train together.
 */
@RequiresRealServers(RealServer.SKLEARN_DATA)
@DisplayName("config/samples: the tabular job 'cancer'")
class TabularSampleIT {

  static final int ROUNDS = 10;
  /** Arguments the federation harness gives every process itself (endpoints, certificates, files, paths). */
  static final Set<String> HARNESS_FLAGS = Set.of("--port", "--bind", "--cert", "--key", "--ca", "--job-id", "--rounds",
      "--min-parties", "--state-dir", "--initial-model", "--server", "--server-name", "--data", "--test-data");

  static Path sample(String file) {
    return FlotillaJars.locate().root().resolve("config/samples").resolve(file);
  }

  static List<String> containerArgs(String file) throws IOException {
    IflearnerJob job = Serialization.unmarshal(Files.readString(sample(file)), IflearnerJob.class);
    return job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
  }

  /** The sample's own flags ({@code --name=value}) besides those of the harness, as flag and value. */
  static List<String[]> ownFlags(List<String> args) {
    List<String[]> out = new ArrayList<>();
    for (String arg : args) {
      String[] flag = arg.split("=", 2);
      assertThat(flag).as("%s is --name=value", arg).hasSize(2);
      if (!HARNESS_FLAGS.contains(flag[0])) {
        out.add(flag);
      }
    }
    return out;
  }

  @Test
  @DisplayName("the server starts from the sample ConfigMap's model, the parties read CSV with the sample's arguments, "
      + "and 2 parties learn the sklearn breast-cancer table (> 90% on held-out rows)")
  void sampleJobTrains(@TempDir Path dir) throws IOException {
    Path train = dir.resolve("train.csv");
    Path test = dir.resolve("test.csv");
    CsvJobIT.convert(CsvJobIT.SKLEARN_CSV, train, test);
    ConfigMap configMap = Serialization.unmarshal(Files.readString(sample("flotilla-tabular/model.yaml")), ConfigMap.class);
    Path initialModel = Files.write(dir.resolve("model.safetensors"),
        Base64.getDecoder().decode(configMap.getBinaryData().get("model.safetensors")));
    List<String> serverArgs = containerArgs("flotilla-tabular/server.yaml");
    List<String> partyArgs = containerArgs("flotilla-tabular/party-a.yaml");
    assertThat(serverArgs).contains("--initial-model=/etc/flotilla/model/model.safetensors").noneMatch(a -> a.startsWith("--model"));
    assertThat(partyArgs).contains("--data=/data/train.csv", "--test-data=/data/test.csv");

    LocalFederation.Settings settings = Federations.settings()
        .parties(2)
        .rounds(ROUNDS)
        .model(null)
        .initialModel(initialModel)
        .partition("iid")
        .dataDirectory(train)
        .batchSize(16)
        .partyArg("--test-data", test.toString());
    ownFlags(serverArgs).forEach(flag -> settings.serverArg(flag[0], flag[1]));
    ownFlags(partyArgs).forEach(flag -> settings.partyArg(flag[0], flag[1]));

    JobStatus status;
    try (LocalFederation federation = Federations.start(settings, dir.resolve("federation"))) {
      status = Federations.awaitFinished(federation, Duration.ofMinutes(8));
      assertThat(federation.parties()).allSatisfy(party -> assertThat(party.log())
          .contains("label column 'diagnosis' (2 classes [malignant, benign])"));
    }
    System.out.printf("cancer sample: per round %s%n", status.accuracyPerRound());
    assertThat(status.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(status.parties()).hasSize(2);
    assertThat(status.finalAccuracy()).as("majority class is 0.63").isGreaterThan(0.9);
  }
}
