package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/flotilla controller} as a process of its own (this JVM's classpath, ControllerMain's
 * main) against a real kube-apiserver: what it says and how it exits when it cannot work (before,
 * it retried with LeaderElector stack traces forever).
 */
@DisplayName("the controller as a process fails fast: one line on stderr and an exit code that says why")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerProcessIT extends OnKubeApiServer {

  @TempDir Path dir;

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }

  private Process start(List<String> args) throws IOException {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), ControllerMain.class.getName()));
    command.addAll(args);
    Process p = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(dir.resolve("stdout").toFile()).redirectError(dir.resolve("stderr").toFile()).start();
    processes.add(p);
    return p;
  }

  private String stderr() throws IOException {
    return Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8);
  }

  private Path kubeconfig(int port) throws IOException {
    String url = Config.fromKubeconfig(kubeConfigYaml).getMasterUrl().replaceAll("/$", "");
    String moved = kubeConfigYaml.replace(url, "https://127.0.0.1:" + port);
    assertThat(moved).as("the kubeconfig names the API server as " + url).isNotEqualTo(kubeConfigYaml);
    return Files.writeString(dir.resolve("kubeconfig-" + port), moved);
  }

  private int exitOf(Process p) throws InterruptedException {
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the controller exits on its own within a minute").isTrue();
    return p.exitValue();
  }

  @Test
  @DisplayName("no API server at the kubeconfig's address: exit 3 once --startup-timeout (5s here) passed, stderr one line "
      + "naming the address and the timeout")
  void unreachable() throws Exception {
    int nobody = FreePorts.next();
    Process p = start(List.of("--kubeconfig", kubeconfig(nobody).toString(), "--namespace", "default", "--health-port", "0",
        "--startup-timeout", "5s"));
    assertThat(exitOf(p)).isEqualTo(ExitCode.UNREACHABLE.code()).isEqualTo(3);
    assertThat(stderr().lines().toList()).singleElement().asString()
        .startsWith("flotilla controller: cannot reach the API server at https://127.0.0.1:" + nobody)
        .contains("ConnectException", "(tried for 5 s, --startup-timeout)");
  }

  @Test
  @DisplayName("an API server without the IflearnerJob CRD: exit 4, stderr one line saying which CRD and how to install it")
  void crdMissing() throws Exception {
    // this class's API server never gets the CRD (no other test here installs it)
    try (KubernetesClient admin = admin()) {
      assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("iflearnerjobs.git.iflytek.com").get()).isNull();
    }
    Path file = Files.writeString(dir.resolve("kubeconfig"), kubeConfigYaml);
    Process p = start(List.of("--kubeconfig", file.toString(), "--namespace", "default", "--health-port", "0"));
    assertThat(exitOf(p)).isEqualTo(ExitCode.MISSING.code()).isEqualTo(4);
    assertThat(stderr().lines().toList()).singleElement().asString()
        .startsWith("flotilla controller: the API server at ")
        .contains("serves no IflearnerJobs (git.iflytek.com/v1)", "kubectl apply -f config/crd/iflearnerjobs.git.iflytek.com-v1.yml");
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: it installs the IflearnerJob CRD that crdMissing needs absent
  @DisplayName("--gateway on an API server without Gateway API's CRDs: exit 4, stderr one line naming tlsroutes and gateways and what to install")
  void gatewayApiMissing() throws Exception {
    try (KubernetesClient admin = admin()) {
      KubeApi.installCrd(admin);
    }
    Path file = Files.writeString(dir.resolve("kubeconfig"), kubeConfigYaml);
    Process p = start(List.of("--kubeconfig", file.toString(), "--namespace", "default", "--health-port", "0",
        "--gateway", "gateway-system/shared"));
    assertThat(exitOf(p)).isEqualTo(ExitCode.MISSING.code());
    assertThat(stderr().lines().toList()).singleElement().asString()
        .startsWith("flotilla controller: --gateway is set, but the API server does not serve [tlsroutes, gateways] in "
            + "gateway.networking.k8s.io/v1")
        .contains("Gateway API standard channel CRDs, v1.5 or later");
  }

  private KubernetesClient admin() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
  }

}
