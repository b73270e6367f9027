package dev.flotilla.e2e.cluster;

import static org.awaitility.Awaitility.await;

import dev.flotilla.testing.KubeadmCorefile;
import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RuntimeImage;
import dev.flotilla.testing.SingleNodeCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Flotilla installed on the single-node cluster as a user would: the images this build made imported
 * into the node's containerd ({@code bin/lib/images.sh import}), the controller's overlay of config/ applied with {@code kubectl apply -k} (CRD, RBAC, the controller's Deployment, whose pod
 * runs the locally built image), the CoreDNS ConfigMap a kubeadm cluster has (nothing serves it here;
 * the controller writes the job records there, and the pods get the same records as hostAliases), and
 * the node's ingress ({@link NodeIngress}) on the node's address, port 443.
 */
final class FlotillaOnNode implements AutoCloseable {

  /** The overlay that deploys the controller for a node without CoreDNS (it passes --pod-host-aliases). */
  static final String CONTROLLER_OVERLAY = "config/single-node";
  static final String CONTROLLER_NAMESPACE = "flotilla-system";
  static final String CONTROLLER = "flotilla-controller";
  static final String JOB_NAMESPACE = "default";
  static final int INGRESS_PORT = 443;
  static final Duration CONTROLLER_START = Duration.ofMinutes(3);
  /** The modules whose images (target/jib-image.tar of the images profile) the node runs. */
  static final List<String> RUNTIME_IMAGE_MODULES = List.of("aggregator-server", "party", "controller");

  /** kubeadm's Corefile, as a fresh cluster has it. */
  static final String KUBEADM_COREFILE = KubeadmCorefile.TEXT;

  final KubernetesClient client;
  final Kubectl kubectl;
  final Path repoRoot;
  final String nodeAddress;
  final NodeIngress ingress;

  private FlotillaOnNode(KubernetesClient client, Kubectl kubectl, Path repoRoot, String nodeAddress, NodeIngress ingress) {
    this.client = client;
    this.kubectl = kubectl;
    this.repoRoot = repoRoot;
    this.nodeAddress = nodeAddress;
    this.ingress = ingress;
  }

  static FlotillaOnNode install(SingleNodeCluster cluster, KubernetesClient client, Path work) {
    Path repoRoot = repoRoot();
    for (String module : RUNTIME_IMAGE_MODULES) {
      Path tarball = repoRoot.resolve(module).resolve("target/jib-image.tar");
      if (!Files.isRegularFile(tarball)) {
        throw new IllegalStateException("no image " + tarball + ": build with the images profile (bin/flotilla test does; "
            + "or bin/lib/images.sh build)");
      }
      RuntimeImage.importFrom(tarball);
    }
    Kubectl kubectl = new Kubectl(cluster.kubeconfig());
    if (client.configMaps().inNamespace("kube-system").withName("coredns").get() == null) {
      client.configMaps().inNamespace("kube-system").resource(new ConfigMapBuilder().withNewMetadata().withName("coredns")
          .endMetadata().addToData("Corefile", KUBEADM_COREFILE).build()).create();
    }
    kubectl.run("apply", "-k", repoRoot.resolve(CONTROLLER_OVERLAY).toString());
    await("the controller's Deployment available (its pod runs the local image)").atMost(CONTROLLER_START)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> {
          Deployment d = client.apps().deployments().inNamespace(CONTROLLER_NAMESPACE).withName(CONTROLLER).get();
          return d != null && d.getStatus() != null && d.getStatus().getAvailableReplicas() != null
              && d.getStatus().getAvailableReplicas() >= 1;
        });
    String address = nodeAddress(client);
    NodeIngress ingress = NodeIngress.start(client, address, INGRESS_PORT, work.resolve("node-ingress"));
    return new FlotillaOnNode(client, kubectl, repoRoot, address, ingress);
  }

  /** The node's InternalIP: where the kubelet says the node is, and what pods reach. */
  static String nodeAddress(KubernetesClient client) {
    List<io.fabric8.kubernetes.api.model.Node> nodes = client.nodes().list().getItems();
    if (nodes.size() != 1) {
      throw new IllegalStateException("expected one node, found " + nodes.size());
    }
    return nodes.get(0).getStatus().getAddresses().stream().filter(a -> "InternalIP".equals(a.getType()))
        .map(NodeAddress::getAddress).findFirst()
        .orElseThrow(() -> new IllegalStateException("node " + nodes.get(0).getMetadata().getName() + " has no InternalIP"));
  }

  /** The controller's pods that are running. */
  List<Pod> controllerPods() {
    return client.pods().inNamespace(CONTROLLER_NAMESPACE).withLabel("app.kubernetes.io/name", CONTROLLER).list().getItems()
        .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
  }

  /** {@code kubectl apply -k config/samples/<set>}. */
  String applySamples(String set) {
    return kubectl.run("apply", "-k", repoRoot.resolve("config/samples").resolve(set).toString());
  }

  /** {@code kubectl delete -k config/samples/<set>}, waiting until the jobs are gone; nothing to do when they are. */
  String deleteSamples(String set) {
    return kubectl.run("delete", "-k", repoRoot.resolve("config/samples").resolve(set).toString(), "--ignore-not-found",
        "--wait=true");
  }

  /**
   * Kills a container with SIGKILL through the node's containerd (a crash: no shutdown hook runs);
   * the kubelet then restarts it as the pod's restartPolicy says.
   *
   * @param containerId the pod status's {@code containerID}, {@code containerd://<id>}
   */
  void killContainer(String containerId) {
    String prefix = "containerd://";
    if (containerId == null || !containerId.startsWith(prefix) || !containerId.substring(prefix.length()).matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a containerd container id: " + containerId);
    }
    ProcessRun.run(repoRoot, Duration.ofMinutes(1), Map.of(), List.of(repoRoot.resolve("bin/lib/cluster.sh").toString(),
        "ctr", "tasks", "kill", "--signal", "SIGKILL", containerId.substring(prefix.length()))).requireSuccess();
  }

  /** The checkout under test: FLOTILLA_REPO_ROOT (set by the build), else the parent of the module's directory. */
  static Path repoRoot() {
    String fromBuild = System.getenv("FLOTILLA_REPO_ROOT");
    return Path.of(fromBuild != null ? fromBuild : "..").toAbsolutePath().normalize();
  }

  @Override
  public void close() {
    ingress.close();
  }
}
