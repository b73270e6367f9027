package dev.flotilla.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One of several independent single-node clusters on this machine, {@code bin/lib/cluster.sh --name NAME}
 * (its own etcd, API server, kubelet, containerd, pod network and address), for tests of federations
 * across organisations. Unlike {@link SingleNodeCluster}, the test that brings named clusters up owns
 * them and takes them down ({@link #down()}).
 */
public final class NamedCluster {

  private static final Duration UP_TIMEOUT = Duration.ofMinutes(6);
  private static final Duration DOWN_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration IMPORT_TIMEOUT = Duration.ofMinutes(10);

  private final String name;
  private final Path kubeconfig;
  private final String address;

  private NamedCluster(String name, Path kubeconfig, String address) {
    this.name = name;
    this.kubeconfig = kubeconfig;
    this.address = address;
  }

  /** {@code cluster.sh --name NAME up} (reusing a healthy one), then its address. */
  public static NamedCluster up(String name) {
    String output = script(UP_TIMEOUT, name, "up").requireSuccess().strip();
    Path kubeconfig = Path.of(output.substring(output.lastIndexOf('\n') + 1));
    if (!Files.isRegularFile(kubeconfig)) {
      throw new AssertionError("cluster.sh --name " + name + " up printed no kubeconfig path:\n" + output);
    }
    String address = script(DOWN_TIMEOUT, name, "address").requireSuccess().strip();
    return new NamedCluster(name, kubeconfig, address.substring(address.lastIndexOf('\n') + 1));
  }

  /** {@code cluster.sh --name NAME down}: pods, components, its network, address, mounts and cgroups gone. */
  public static void down(String name) {
    script(DOWN_TIMEOUT, name, "down").requireSuccess();
  }

  public void down() {
    down(name);
  }

  public String name() {
    return name;
  }

  /** The node's name, {@code flotilla-NAME}. */
  public String nodeName() {
    return "flotilla-" + name;
  }

  /** The cluster's own address on the loopback interface (10.220.0.I), which every pod of every cluster reaches. */
  public String address() {
    return address;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  /** A fabric8 client with the admin kubeconfig; the caller closes it. */
  public KubernetesClient newClient() {
    try {
      Config config = Config.fromKubeconfig(Files.readString(kubeconfig, StandardCharsets.UTF_8));
      return new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + kubeconfig, e);
    }
  }

  /** Imports an image this build made ({@code bin/lib/images.sh import}) into this cluster's containerd. */
  public void importImage(Path tarball) {
    ProcessRun.run(Path.of("."), IMPORT_TIMEOUT, Map.of("FLOTILLA_CLUSTER_NAME", name),
        List.of(RuntimeImage.imagesScript().toString(), "import", tarball.toString())).requireSuccess();
  }

  /** {@code cluster.sh --name NAME args...} (status, ctr ...). */
  public ProcessRun.Result runScript(String... args) {
    return script(UP_TIMEOUT, name, args);
  }

  private static ProcessRun.Result script(Duration timeout, String name, String... args) {
    Path script = SingleNodeCluster.clusterScript();
    List<String> command = new ArrayList<>(List.of(script.toString(), "--name", name));
    command.addAll(List.of(args));
    return ProcessRun.run(script.getParent(), timeout, Map.of(), command);
  }
}
