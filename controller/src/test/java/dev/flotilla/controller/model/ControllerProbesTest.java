package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.ControllerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The controller's Deployment lets a starting controller live: on the single-node cluster under load, a pod whose
 * JVM took a minute to open its health port was killed by the liveness probe (exit 0, restarted) before it ever
 * reconciled. A startup probe on /healthz holds liveness back until the port answers, for longer than the
 * controller itself waits for the API server (--startup-timeout) before giving up with exit code 3.
 */
@DisplayName("config/manager: a startup probe gives the controller its --startup-timeout and more before liveness counts")
class ControllerProbesTest {

  static Container controller() throws IOException {
    Deployment d = Serialization.unmarshal(Files.readString(Samples.repoRoot().resolve("config/manager/manager.yaml")),
        Deployment.class);
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  static Duration budget(Probe p) {
    int period = p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds();
    int failures = p.getFailureThreshold() == null ? 3 : p.getFailureThreshold();
    int initial = p.getInitialDelaySeconds() == null ? 0 : p.getInitialDelaySeconds();
    return Duration.ofSeconds(initial + (long) period * failures);
  }

  @Test
  @DisplayName("the manifest runs the controller on its default --health-port and names that port for the probes")
  void healthPortIsTheDefault() throws Exception {
    Container c = controller();
    int port = ControllerOptions.HEALTH_PORT.defaultValue();
    assertThat(c.getArgs()).contains(ControllerOptions.HEALTH_PORT.assignment(port));
    assertThat(c.getPorts()).anySatisfy(p -> {
      assertThat(p.getName()).isEqualTo("health");
      assertThat(p.getContainerPort()).isEqualTo(port);
    });
  }

  @Test
  @DisplayName("startupProbe on /healthz (the health port), allowing at least 2 minutes beyond the default --startup-timeout")
  void startupProbeOutlastsTheStartupTimeout() throws Exception {
    Container c = controller();
    Probe startup = c.getStartupProbe();
    assertThat(startup).as("startupProbe").isNotNull();
    assertThat(startup.getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(startup.getHttpGet().getPort().getStrVal()).isEqualTo("health");
    Duration startupTimeout = ControllerOptions.STARTUP_TIMEOUT.defaultValue();
    assertThat(budget(startup)).as("what the startup probe allows").isGreaterThanOrEqualTo(startupTimeout.plusMinutes(2));
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
  }
}
