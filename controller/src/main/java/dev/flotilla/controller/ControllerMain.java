package dev.flotilla.controller;

import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.HealthServer;
import dev.flotilla.controller.operator.LeaderElection;
import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.dns.CoreDnsConfigMapRef;
import dev.flotilla.dns.HostPolicy;
import dev.flotilla.dns.DnsRecord;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/flotilla controller}: runs the IflearnerJob controller in or outside a cluster. */
@Command(name = "flotilla controller", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Runs the IflearnerJob controller: for each job it issues certificates, publishes CoreDNS records,",
        "and keeps a Service, an Ingress, a Pod (and NetworkPolicies with spec.isolation) in place.",
        "Two replicas may run: one leads through a Lease, the other stands by."})
public final class ControllerMain implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ControllerMain.class);

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "kubeconfig to use (default: in-cluster service account, then $KUBECONFIG or ~/.kube/config)")
  Path kubeconfig;

  @Option(names = "--namespace", paramLabel = "NS", description = "watch only this namespace (default: all namespaces)")
  String namespace;

  @Option(names = "--ingress-address", paramLabel = "IP",
      description = "address of the ingress controller for DNS records when a job gives none "
          + "(default: the address in each job's Ingress status)")
  String ingressAddress;

  @Option(names = "--cluster-domain", paramLabel = "DOMAIN", defaultValue = HostPolicy.DEFAULT_CLUSTER_DOMAIN,
      description = "the cluster's DNS domain: no job host may be under it, nor under cluster.local (default: ${DEFAULT-VALUE})")
  String clusterDomain;

  @Option(names = "--allowed-domain", paramLabel = "DOMAIN",
      description = "a federation domain jobs may use, with its subdomains; repeatable "
          + "(default: none, so any domain that passes the name rules)")
  List<String> allowedDomains = new ArrayList<>();

  @Option(names = "--allow-ingress-address-override",
      description = "honour spec.dns.ingressAddress in every namespace (default: in none; the records answer --ingress-address)")
  boolean allowIngressAddressOverride;

  @Option(names = "--ingress-address-override-namespace", paramLabel = "NS",
      description = "honour spec.dns.ingressAddress in this namespace; repeatable (default: none)")
  List<String> ingressAddressOverrideNamespaces = new ArrayList<>();

  @Option(names = "--coredns-configmap", paramLabel = "NS/NAME", defaultValue = "kube-system/coredns",
      description = "ConfigMap holding the Corefile (default: ${DEFAULT-VALUE})")
  String coreDnsConfigMap;

  @Option(names = "--health-port", defaultValue = "8081", description = "port of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}; 0 = off)")
  int healthPort;

  @Option(names = "--leader-election", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "hold a Lease so only one replica reconciles (default: on)")
  boolean leaderElection;

  @Option(names = "--lease-namespace", paramLabel = "NS",
      description = "namespace of the Lease (default: --namespace, else $POD_NAMESPACE, else default)")
  String leaseNamespace;

  @Option(names = "--resync", paramLabel = "DURATION", defaultValue = "PT10M",
      description = "reconcile every job at least this often, ISO-8601 (default: ${DEFAULT-VALUE})")
  Duration resync;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ControllerMain());
    cl.setParameterExceptionHandler((ex, args) -> {
      ex.getCommandLine().getErr().println("flotilla controller: " + ex.getMessage());
      ex.getCommandLine().getErr().println("Run 'bin/flotilla controller --help' for the options.");
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      commandLine.getErr().println("flotilla controller: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
      return 1;
    });
    return cl;
  }

  @Override
  public Integer call() throws Exception {
    ControllerConfig config = buildConfig();
    Config clientConfig = clientConfig();
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    ControllerMetrics metrics = new ControllerMetrics(registry);
    AtomicBoolean leading = new AtomicBoolean(!leaderElection);
    CountDownLatch stopped = new CountDownLatch(1);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
         Controller controller = new Controller(client, config, metrics);
         HealthServer health = healthPort > 0
             ? new HealthServer("0.0.0.0", healthPort, () -> !leading.get() || controller.isSynced(), registry) : null) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "flotilla-shutdown"));
      LOG.info("connected to {}{}", clientConfig.getMasterUrl(), health == null ? "" : "; probes and metrics on :" + health.port());
      PublishPolicy publish = config.publish();
      LOG.info("host names: never under {}; federation domains: {}; spec.dns.ingressAddress honoured {}",
          publish.hosts().clusterDomains(), publish.hosts().allowedDomains().isEmpty() ? "any" : publish.hosts().allowedDomains(),
          publish.ingressAddressOverrideEverywhere() ? "in every namespace"
              : publish.ingressAddressOverrideNamespaces().isEmpty() ? "nowhere" : "in " + publish.ingressAddressOverrideNamespaces());
      if (!leaderElection) {
        metrics.setLeader(true);
        controller.start();
        stopped.await();
        return 0;
      }
      String identity = identity();
      String lease = leaseNamespace != null ? leaseNamespace
          : namespace != null ? namespace : System.getenv().getOrDefault("POD_NAMESPACE", "default");
      LeaderElection election = new LeaderElection(client, lease, identity, LeaderElection.Timing.DEFAULT,
          () -> {
            leading.set(true);
            metrics.setLeader(true);
            controller.start();
          },
          () -> {
            // never keep reconciling without the Lease: stop, and let the pod restart as a standby
            metrics.setLeader(false);
            stopped.countDown();
          });
      election.start();
      stopped.await();
      election.close(); // releases the Lease on a clean stop, so a standby takes over at once
      return leading.get() ? 0 : 1;
    }
  }

  ControllerConfig buildConfig() {
    ControllerConfig config = ControllerConfig.defaults().withNamespace(namespace).withResync(resync);
    if (ingressAddress != null) {
      // validates the literal with the dns module's rules
      config = config.withIngressAddress(DnsRecord.of("probe.invalid", ingressAddress).address());
    }
    int slash = coreDnsConfigMap.indexOf('/');
    if (slash <= 0 || slash == coreDnsConfigMap.length() - 1) {
      throw new IllegalArgumentException("--coredns-configmap must be NAMESPACE/NAME, got '" + coreDnsConfigMap + "'");
    }
    return new ControllerConfig(config.namespace(), config.ingressAddress(),
        new CoreDnsConfigMapRef(coreDnsConfigMap.substring(0, slash), coreDnsConfigMap.substring(slash + 1),
            CoreDnsConfigMapRef.DEFAULT_KEY),
        config.resync(), config.maxBackoff(), publishPolicy());
  }

  private PublishPolicy publishPolicy() {
    PublishPolicy policy = PublishPolicy.defaults()
        .withHosts(HostPolicy.of(List.of(clusterDomain), allowedDomains))
        .withIngressAddressOverrideIn(ingressAddressOverrideNamespaces);
    return allowIngressAddressOverride ? policy.withIngressAddressOverrideEverywhere() : policy;
  }

  private Config clientConfig() throws IOException {
    if (kubeconfig == null) {
      return Config.autoConfigure(null);
    }
    if (!Files.isReadable(kubeconfig)) {
      throw new IllegalArgumentException("--kubeconfig " + kubeconfig + ": no such readable file");
    }
    return Config.fromKubeconfig(Files.readString(kubeconfig));
  }

  private static String identity() {
    String pod = System.getenv("POD_NAME");
    if (pod != null && !pod.isBlank()) {
      return pod;
    }
    try {
      return InetAddress.getLocalHost().getHostName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    } catch (IOException e) {
      return "flotilla-controller-" + UUID.randomUUID().toString().substring(0, 8);
    }
  }
}
