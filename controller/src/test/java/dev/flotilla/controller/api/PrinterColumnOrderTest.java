package dev.flotilla.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.Samples;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the generated CRD's printer columns")
class PrinterColumnOrderTest {

  @Test
  @DisplayName("kubectl get ifj shows Role, Phase, Round, Accuracy, Age in that order, from spec.role, status.phase, status.round, status.accuracy and the creation time")
  void columnsInIssueOrder() throws Exception {
    Path file = Samples.repoRoot().resolve("config/crd/iflearnerjobs.git.iflytek.com-v1.yml");
    CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(file), CustomResourceDefinition.class);
    assertThat(crd.getSpec().getVersions()).hasSize(1);
    List<CustomResourceColumnDefinition> columns = crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns();
    assertThat(columns).extracting(c -> c.getName() + " " + c.getType() + " " + c.getJsonPath() + " " + c.getPriority())
        .containsExactly(
            "Role string ..spec.role 0",
            "Phase string ..status.phase 0",
            "Round integer ..status.round 0",
            "Accuracy number ..status['accuracy'] 0",
            "Age date .metadata.creationTimestamp 0");
  }
}
