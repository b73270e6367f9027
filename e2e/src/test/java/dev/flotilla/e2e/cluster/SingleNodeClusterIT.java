package dev.flotilla.e2e.cluster;

import static dev.flotilla.testing.SingleNodeCluster.BUSYBOX_IMAGE;
import static dev.flotilla.testing.SingleNodeCluster.NODE_NAME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SingleNodeCluster;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The node that the *ClusterIT tier runs on: kubelet, containerd, CNI and kube-proxy doing their work. */
@RequiresRealServers(RealServer.SINGLE_NODE_CLUSTER)
@ExtendWith(SingleNodeCluster.Extension.class)
@DisplayName("The single-node cluster (bin/lib/cluster.sh) runs pods from locally imported images")
class SingleNodeClusterIT {

  private static final Duration POD_TIMEOUT = Duration.ofMinutes(2);
  private static KubernetesClient client;
  private static String namespace;

  @BeforeAll
  static void createNamespace(SingleNodeCluster cluster) {
    client = cluster.newClient();
    namespace = "smoke-" + Long.toHexString(System.nanoTime());
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    // the controller-manager gives each namespace its default ServiceAccount; pods wait for it
    await().atMost(Duration.ofMinutes(1))
        .until(() -> client.serviceAccounts().inNamespace(namespace).withName("default").get() != null);
  }

  @AfterAll
  static void deleteNamespace() {
    if (client != null) {
      client.namespaces().withName(namespace).delete();
      await().atMost(POD_TIMEOUT).until(() -> client.namespaces().withName(namespace).get() == null);
      client.close();
    }
  }

  @Test
  @DisplayName("the node registers Ready, with containerd 1.6 as its runtime and the kubelet built here")
  void nodeIsReady() {
    Node node = client.nodes().withName(NODE_NAME).get();

    assertThat(node.getStatus().getConditions())
        .anySatisfy(condition -> {
          assertThat(condition.getType()).isEqualTo("Ready");
          assertThat(condition.getStatus()).isEqualTo("True");
        });
    assertThat(node.getStatus().getNodeInfo().getContainerRuntimeVersion()).startsWith("containerd://1.6");
    assertThat(node.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo("v1.20.2");
  }

  @Test
  @DisplayName("a pod of the imported busybox image runs to completion and its log is read through the API")
  void podRunsToCompletion() {
    createPod(busyboxPod("arithmetic", "echo \"six times seven is $((6 * 7))\""));

    assertThat(awaitCompletion("arithmetic")).isEqualTo("Succeeded");
    assertThat(logOf("arithmetic")).isEqualTo("six times seven is 42\n");
  }

  @Test
  @DisplayName("a ClusterIP Service reaches its pod through kube-proxy's rules")
  void clusterIpServiceReachesPod() {
    createPod(busyboxPod("web",
        "mkdir -p /www && echo \"served by $HOSTNAME\" > /www/index.html && exec httpd -f -p 8080 -h /www")
        .editMetadata().withLabels(Map.of("app", "web")).endMetadata()
        .editSpec().editFirstContainer()
        .withNewReadinessProbe().withNewTcpSocket().withNewPort(8080).endTcpSocket().withPeriodSeconds(1).endReadinessProbe()
        .endContainer().endSpec());
    Service service = client.services().inNamespace(namespace).resource(new ServiceBuilder()
        .withNewMetadata().withName("web").endMetadata()
        .withNewSpec().withType("ClusterIP").withSelector(Map.of("app", "web"))
        .addNewPort().withPort(80).withNewTargetPort(8080).endPort()
        .endSpec().build()).create();
    String clusterIp = service.getSpec().getClusterIP();
    // the endpoints controller adds the pod once its readiness probe passes
    await().atMost(POD_TIMEOUT).until(() -> hasReadyAddress(
        client.endpoints().inNamespace(namespace).withName("web").get()));

    // kube-proxy programs the Service's rules on its own schedule after the endpoint appears:
    // the client tries for up to 20 s (`timeout`, since busybox 1.35's `wget -T` segfaults)
    createPod(busyboxPod("web-client", "for i in $(seq 1 20); do timeout 2 wget -q -O - http://" + clusterIp
        + ":80/ && exit 0; sleep 1; done; exit 1"));

    assertThat(awaitCompletion("web-client")).as(logOf("web-client")).isEqualTo("Succeeded");
    assertThat(logOf("web-client")).isEqualTo("served by web\n");
  }

  @Test
  @DisplayName("a pod sees its memory limit in its cgroup")
  void podSeesItsMemoryLimit() {
    createPod(busyboxPod("limited", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
        .editSpec().editFirstContainer()
        .withNewResources().withLimits(Map.of("memory", new Quantity("48Mi"))).endResources()
        .endContainer().endSpec());

    assertThat(awaitCompletion("limited")).isEqualTo("Succeeded");
    assertThat(logOf("limited")).isEqualTo(48 * 1024 * 1024 + "\n");
  }

  @Test
  @DisplayName("a pod reads itself from the API server through the kubernetes Service, as its ServiceAccount")
  void podReachesApiServerAsItsServiceAccount() {
    client.rbac().roles().inNamespace(namespace).resource(new RoleBuilder()
        .withNewMetadata().withName("read-pods").endMetadata()
        .addNewRule().withApiGroups("").withResources("pods").withVerbs("get").endRule().build()).create();
    client.rbac().roleBindings().inNamespace(namespace).resource(new RoleBindingBuilder()
        .withNewMetadata().withName("default-reads-pods").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("read-pods").endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName("default").withNamespace(namespace).endSubject()
        .build()).create();

    // busybox's wget cannot check the server's certificate; the token is what is under test
    createPod(busyboxPod("in-cluster", "wget -q -O - --no-check-certificate"
        + " --header \"Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\""
        + " https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/" + namespace + "/pods/$HOSTNAME"));

    assertThat(awaitCompletion("in-cluster")).as(logOf("in-cluster")).isEqualTo("Succeeded");
    Pod itself = Serialization.unmarshal(logOf("in-cluster"), Pod.class);
    assertThat(itself.getMetadata().getNamespace()).isEqualTo(namespace);
    assertThat(itself.getMetadata().getName()).isEqualTo("in-cluster");
    assertThat(itself.getSpec().getServiceAccountName()).isEqualTo("default");
  }

  @Test
  @DisplayName("the kubelet's API on :10250 refuses kube-proxy's and kube-scheduler's certificates (403) and callers "
      + "without one (401); it serves the API server's kubelet client, through which pod logs are read")
  void kubeletAuthorizesThroughTheApiServer(SingleNodeCluster cluster) throws IOException {
    // the components' certificates, of the cluster CA, that cluster.sh keeps beside the admin kubeconfig
    Path pki = cluster.kubeconfig().resolveSibling("pki");
    String node = client.nodes().withName(NODE_NAME).get().getStatus().getAddresses().stream()
        .filter(address -> address.getType().equals("InternalIP")).map(NodeAddress::getAddress).findFirst().orElseThrow();

    KubeletAnswer proxy = kubeletPods(node, pki, "kube-proxy");
    KubeletAnswer scheduler = kubeletPods(node, pki, "kube-scheduler");
    KubeletAnswer anonymous = kubeletPods(node, pki, null);
    KubeletAnswer apiServer = kubeletPods(node, pki, "apiserver-kubelet-client");

    assertThat(proxy.status()).as(proxy.body()).isEqualTo(403);
    assertThat(proxy.body()).contains("user=system:kube-proxy", "verb=get", "resource=nodes", "subresource=proxy");
    assertThat(scheduler.status()).as(scheduler.body()).isEqualTo(403);
    assertThat(scheduler.body()).contains("user=system:kube-scheduler");
    assertThat(anonymous.status()).as(anonymous.body()).isEqualTo(401);
    // the API server's identity (no system:masters) is let in by its system:kubelet-api-admin binding
    assertThat(apiServer.status()).as(apiServer.body()).isEqualTo(200);
    assertThat(Serialization.unmarshal(apiServer.body(), PodList.class).getKind())
        .isEqualTo("PodList");
    assertThat(client.rbac().clusterRoleBindings().withName("flotilla:kube-apiserver-kubelet-api-admin").get()
        .getRoleRef().getName()).isEqualTo("system:kubelet-api-admin");
  }

  private record KubeletAnswer(int status, String body) {}

  /**
   * GET https://node:10250/pods with {@code pki/<certificate>.crt} (none when null). {@code -k}: the kubelet
   * serves a certificate it signed itself; what is under test is whom it lets in.
   */
  private static KubeletAnswer kubeletPods(String node, Path pki, String certificate) throws IOException {
    Path body = Files.createTempFile("kubelet-pods-", ".json");
    try {
      List<String> curl = new ArrayList<>(List.of("curl", "-sS", "-k", "--max-time", "20", "-o", body.toString(),
          "-w", "%{http_code}"));
      if (certificate != null) {
        curl.addAll(List.of("--cert", pki.resolve(certificate + ".crt").toString(),
            "--key", pki.resolve(certificate + ".key").toString()));
      }
      curl.add("https://" + node + ":10250/pods");
      String status = ProcessRun.run(Path.of("."), Duration.ofSeconds(30), Map.of(), curl).requireSuccess().strip();
      return new KubeletAnswer(Integer.parseInt(status), Files.readString(body, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(body);
    }
  }

  /** A pod of the busybox image running {@code sh -c script} once. */
  private static PodBuilder busyboxPod(String name, String script) {
    return new PodBuilder()
        .withNewMetadata().withName(name).endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        // busybox as PID 1 ignores SIGTERM: do not hold the namespace's deletion for 30 s
        .withTerminationGracePeriodSeconds(1L)
        .addNewContainer()
        .withName(name).withImage(BUSYBOX_IMAGE).withImagePullPolicy("Never")
        .withCommand("sh", "-c", script)
        .endContainer()
        .endSpec();
  }

  private static void createPod(PodBuilder pod) {
    client.pods().inNamespace(namespace).resource(pod.build()).create();
  }

  private static String awaitCompletion(String pod) {
    await().atMost(POD_TIMEOUT).until(() -> Set.of("Succeeded", "Failed").contains(phaseOf(pod)));
    return phaseOf(pod);
  }

  private static String phaseOf(String pod) {
    Pod current = client.pods().inNamespace(namespace).withName(pod).get();
    return current == null || current.getStatus() == null ? null : current.getStatus().getPhase();
  }

  private static String logOf(String pod) {
    return client.pods().inNamespace(namespace).withName(pod).getLog();
  }

  private static boolean hasReadyAddress(Endpoints endpoints) {
    return endpoints != null && endpoints.getSubsets() != null && endpoints.getSubsets().stream()
        .map(subset -> subset.getAddresses())
        .anyMatch(addresses -> addresses != null && addresses.stream().anyMatch(Objects::nonNull));
  }
}
