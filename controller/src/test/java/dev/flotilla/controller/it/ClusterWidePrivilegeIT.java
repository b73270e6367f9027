package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.PrivilegeCheck;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.k8s.networking.gateway.v1.TLSRoute;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The cluster-wide deployment (config/cluster-wide, --all-namespaces) on a real kube-apiserver with
 * RBAC, the controller running as its ServiceAccount: jobs are reconciled in every namespace, but
 * Secrets only where a RoleBinding of flotilla-controller-secrets grants them.
 */
@DisplayName("least privilege, cluster-wide: every namespace's jobs, no Secret outside the namespaces bound for them")
class ClusterWidePrivilegeIT extends OnKubeApiServer {

  static final String CONTROLLER_NS = "flotilla-system";
  static final String BOUND = "default";
  static final String UNBOUND = "team-b";
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubeApi.ShippedDeployment deployment;
  static KubernetesClient admin;
  static KubernetesClient asController;
  static ControllerConfig config;

  @BeforeAll
  static void deployAndStart() {
    deployment = new KubeApi.ShippedDeployment(kubeConfigYaml, "config/cluster-wide");
    admin = deployment.admin;
    KubeApi.namespaceWithSecret(admin, UNBOUND);
    // Gateway API routing as config/gateway adds it: the CRDs (a prerequisite), the Gateway and the Role to read it
    KubeApi.installGatewayApiCrds(admin);
    Path gatewayYaml = Samples.repoRoot().resolve("config/gateway/gateway.yaml");
    KubeApi.loadAll(gatewayYaml).forEach(o -> admin.resource(o).fieldManager("kubectl").forceConflicts().serverSideApply());
    KubeApi.applyKustomization(admin, Samples.repoRoot().resolve("config/rbac/gateway"));
    config = deployment.startController("--ingress-address=172.31.164.52", "--gateway=flotilla-gateway/flotilla");
    asController = deployment.asController();
    assertThat(config.scope().allNamespaces()).isTrue();
    KubeApi.createSample(admin, "iflearner/iflearnerjob-server.yaml", BOUND);
    KubeApi.createSample(admin, "iflearner/iflearnerjob-server.yaml", UNBOUND);
    admin.genericKubernetesResources("git.iflytek.com/v1", "IflearnerJob").inNamespace(BOUND)
        .resource(Serialization.unmarshal(GATEWAY_JOB, GenericKubernetesResource.class)).create();
  }

  /** A passthrough server routed through the Gateway. */
  static final String GATEWAY_JOB = """
      apiVersion: git.iflytek.com/v1
      kind: IflearnerJob
      metadata:
        name: cw-gateway
      spec:
        role: server
        host: cw.server.fl.example.org
        route: gateway
        port: 8443
        template:
          spec:
            containers:
            - name: server
              image: localhost/flotilla/server:0.1.0-SNAPSHOT
      """;

  @AfterAll
  static void stop() {
    if (deployment != null) {
      deployment.close();
    }
  }

  static Condition condition(String namespace, String type) {
    IflearnerJob job = admin.resources(IflearnerJob.class).inNamespace(namespace).withName("iflearnerjob-server").get();
    if (job.getStatus() == null) {
      return null;
    }
    return job.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  @Test
  @DisplayName("a job in a namespace bound for Secrets is reconciled fully, and a deleted certificate Secret returns on its next reconcile")
  void boundNamespaceWorks() {
    await("job in " + BOUND).atMost(WAIT).untilAsserted(() -> {
      assertThat(condition(BOUND, "CertificatesReady")).extracting(Condition::getStatus).isEqualTo("True");
      assertThat(admin.secrets().inNamespace(BOUND).withName("iflearnerjob-server-tls").get()).isNotNull();
      assertThat(admin.pods().inNamespace(BOUND).withName("iflearnerjob-server").get()).isNotNull();
    });
    assertThat(admin.secrets().inNamespace(CONTROLLER_NS).withName("flotilla-ca." + BOUND + ".iflearner.com").get()).isNotNull();
    // Secrets are not watched in this mode: the next event on the job brings the Secret back (a new
    // object, so compare uids: a reconcile already queued may bring it back before any poll sees it gone)
    String before = admin.secrets().inNamespace(BOUND).withName("iflearnerjob-server-tls").get().getMetadata().getUid();
    admin.secrets().inNamespace(BOUND).withName("iflearnerjob-server-tls").delete();
    admin.resources(IflearnerJob.class).inNamespace(BOUND).withName("iflearnerjob-server").edit(j -> {
      j.getMetadata().getAnnotations().put("touched", "1");
      return j;
    });
    await("restored").atMost(WAIT).until(() -> {
      var secret = admin.secrets().inNamespace(BOUND).withName("iflearnerjob-server-tls").get();
      return secret != null && !secret.getMetadata().getUid().equals(before);
    });
  }

  @Test
  @DisplayName("a job in a namespace without the binding gets its Service and Ingress, CertificatesReady=False naming the missing "
      + "binding, and no pod: PodReady says it waits for the certificates it would mount")
  void unboundNamespaceSaysWhy() {
    await("job in " + UNBOUND).atMost(WAIT).untilAsserted(() -> {
      Condition c = condition(UNBOUND, "CertificatesReady");
      assertThat(c).isNotNull();
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("CertificateFailed");
      assertThat(c.getMessage()).contains("flotilla-controller-secrets", "namespace " + UNBOUND, "config/cluster-wide",
          "system:serviceaccount:" + CONTROLLER_NS + ":flotilla-controller");
      assertThat(admin.services().inNamespace(UNBOUND).withName("iflearnerjob-server").get()).isNotNull();
      assertThat(admin.network().v1().ingresses().inNamespace(UNBOUND).withName("iflearnerjob-server").get()).isNotNull();
      Condition pod = condition(UNBOUND, "PodReady");
      assertThat(pod).isNotNull();
      assertThat(pod.getStatus()).isEqualTo("False");
      assertThat(pod.getReason()).isEqualTo("WaitingForCertificatesReady");
      assertThat(pod.getMessage()).startsWith("waits for CertificatesReady (CertificateFailed: ").contains("flotilla-controller-secrets");
    });
    assertThat(admin.pods().inNamespace(UNBOUND).withName("iflearnerjob-server").get()).isNull();
    assertThat(admin.secrets().inNamespace(UNBOUND).list().getItems()).extracting(Secret::getMetadata)
        .extracting(m -> m.getName()).containsExactly("db-password");
  }

  @Test
  @DisplayName("its identity cannot read a Secret in an unbound namespace or in kube-system, nor list Secrets cluster-wide")
  void noClusterWideSecrets() {
    KubeApi.assertForbidden(() -> asController.secrets().inNamespace(UNBOUND).withName("db-password").get(),
        "get a Secret in " + UNBOUND);
    KubeApi.assertForbidden(() -> asController.secrets().inNamespace("kube-system").list(), "list Secrets in kube-system");
    KubeApi.assertForbidden(() -> asController.secrets().inAnyNamespace().list(), "list Secrets in all namespaces");
    assertThat(PrivilegeCheck.excess(asController, config.scope())).isEmpty();
    assertThat(PrivilegeCheck.excess(admin, config.scope())).containsExactly("list Secrets in all namespaces", "read Secrets in kube-system");
  }

  @Test
  @DisplayName("with --gateway, the ClusterRole lets it watch TLSRoutes in every namespace and make a job's TLSRoute on the shipped listener")
  void gatewayRoute() {
    await("cw-gateway routed").atMost(WAIT).untilAsserted(() -> {
      IflearnerJob job = admin.resources(IflearnerJob.class).inNamespace(BOUND).withName("cw-gateway").get();
      assertThat(job.getStatus()).isNotNull();
      assertThat(job.getStatus().getConditions()).extracting(c -> c.getType() + "=" + c.getStatus() + " " + c.getReason())
          .contains("TLSRouteReady=True Applied");
      TLSRoute route = admin.resources(TLSRoute.class).inNamespace(BOUND).withName("cw-gateway").get();
      assertThat(route).isNotNull();
      assertThat(route.getSpec().getParentRefs().get(0).getSectionName()).isEqualTo("tls-passthrough");
    });
    assertThat(admin.network().v1().ingresses().inNamespace(BOUND).withName("cw-gateway").get()).isNull();
    KubeApi.assertForbidden(() -> asController.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway.class)
        .inAnyNamespace().list(), "list Gateways in all namespaces");
  }
}
