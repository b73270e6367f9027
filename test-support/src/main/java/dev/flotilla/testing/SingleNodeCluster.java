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
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The real single-node cluster of {@code bin/lib/cluster.sh}, for the {@code *ClusterIT} tier. A test
 * class gated by {@code @RequiresRealServers(RealServer.SINGLE_NODE_CLUSTER)} and extended with
 * {@link Extension} takes it as a parameter (of a constructor, {@code @BeforeAll} or test method).
 *
 * <p>Brought up once per test JVM ({@code cluster.sh up}, which reuses a healthy cluster), shared by
 * every test class of that JVM, and taken down when the JVM's test run ends only if this JVM
 * started it: a cluster started beforehand ({@code bin/flotilla cluster up}) is left running, so
 * a developer can keep one across runs and look at it afterwards. Tests share the node, so each
 * works in a namespace of its own and deletes it.
 */
public final class SingleNodeCluster {

  /** The node's name (the kubelet's --hostname-override). */
  public static final String NODE_NAME = "flotilla-node";
  /** An image of Debian's busybox-static that {@code cluster.sh} imports: every applet in /bin. */
  public static final String BUSYBOX_IMAGE = "localhost/flotilla/busybox:1";

  private static final Duration UP_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration DOWN_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);

  private final Path script;
  private final Path kubeconfig;
  private final boolean startedHere;

  private SingleNodeCluster(Path script, Path kubeconfig, boolean startedHere) {
    this.script = script;
    this.kubeconfig = kubeconfig;
    this.startedHere = startedHere;
  }

  /** Brings the cluster up (or finds it up) through {@code cluster.sh up}. */
  static SingleNodeCluster up() {
    Path script = clusterScript();
    boolean healthyBefore = run(script, DOWN_TIMEOUT, "status").exitCode() == 0;
    String output = run(script, UP_TIMEOUT, "up").requireSuccess().strip();
    // `up` logs to stderr and prints the admin kubeconfig path as its last line
    Path kubeconfig = Path.of(output.substring(output.lastIndexOf('\n') + 1));
    if (!Files.isRegularFile(kubeconfig)) {
      throw new AssertionError("cluster.sh up printed no kubeconfig path:\n" + output);
    }
    return new SingleNodeCluster(script, kubeconfig, !healthyBefore);
  }

  /** The admin kubeconfig (user in system:masters) that {@code cluster.sh up} wrote. */
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

  /** Runs kubectl 1.20.2 (built with kube-apiserver) with the admin kubeconfig; fails on a non-zero exit. */
  public String kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(RealServer.kubeApiTestBinaries().resolve("kubectl").toString());
    command.add("--kubeconfig=" + kubeconfig);
    command.addAll(List.of(args));
    return ProcessRun.run(Path.of("."), COMMAND_TIMEOUT, Map.of(), command).requireSuccess();
  }

  /** Imports an image archive (OCI or docker-archive tar) into the node's containerd (namespace k8s.io). */
  public void importImage(Path archive) {
    runScript("ctr", "images", "import", archive.toAbsolutePath().toString()).requireSuccess();
  }

  /**
   * Runs {@code bin/lib/cluster.sh args...} (up, status, ctr ...), for tests of the script itself;
   * {@code down} would take the cluster from the other tests of this JVM.
   */
  public ProcessRun.Result runScript(String... args) {
    return run(script, UP_TIMEOUT, args);
  }

  private void downIfStartedHere() {
    if (startedHere) {
      run(script, DOWN_TIMEOUT, "down").requireSuccess();
    }
  }

  private static ProcessRun.Result run(Path script, Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(script.toString());
    command.addAll(List.of(args));
    return ProcessRun.run(script.getParent(), timeout, Map.of(), command);
  }

  /** bin/lib/cluster.sh of this checkout: under FLOTILLA_HOME, else above the working directory. */
  static Path clusterScript() {
    String home = System.getenv("FLOTILLA_HOME");
    Path start = home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path script = dir.resolve("bin/lib/cluster.sh");
      if (Files.isExecutable(script)) {
        return script;
      }
    }
    throw new IllegalStateException("no bin/lib/cluster.sh in " + start + " or above it");
  }

  /** Resolves {@link SingleNodeCluster} parameters: one cluster per JVM, kept in JUnit's root store. */
  public static final class Extension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == SingleNodeCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return context.getRoot().getStore(ExtensionContext.Namespace.create(SingleNodeCluster.class))
          .getOrComputeIfAbsent(Shared.class, key -> new Shared(up()), Shared.class).cluster;
    }
  }

  /** Closed by JUnit (an AutoCloseable in a store) when the root context, the JVM's test run, ends. */
  private record Shared(SingleNodeCluster cluster) implements AutoCloseable {
    @Override
    public void close() {
      cluster.downIfStartedHere();
    }
  }
}
