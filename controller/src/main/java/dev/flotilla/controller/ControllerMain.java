package dev.flotilla.controller;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.common.logging.Logging;
import dev.flotilla.controller.enroll.AttemptLimiter;
import dev.flotilla.controller.enroll.EnrollCommand;
import dev.flotilla.controller.enroll.EnrollOptions;
import dev.flotilla.controller.enroll.EnrollmentServer;
import dev.flotilla.controller.enroll.EnrollmentService;
import dev.flotilla.controller.enroll.EnrollmentStore;
import dev.flotilla.controller.join.JoinController;
import dev.flotilla.controller.federation.FederationController;
import dev.flotilla.dns.CoreDnsUpdater;
import dev.flotilla.dns.CorefileEditor;
import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.model.IsolationDefaults;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.controller.operator.ApiProbe;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.GatewayApiCheck;
import dev.flotilla.controller.operator.HealthServer;
import dev.flotilla.controller.operator.LeaderElection;
import dev.flotilla.controller.operator.PrivilegeCheck;
import dev.flotilla.controller.operator.Readiness;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.dns.CoreDnsConfigMapRef;
import dev.flotilla.cli.Cli;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code bin/flotilla controller}: runs the IflearnerJob controller in or outside a cluster. Each option's
 * description, default and parser is in {@link ControllerOptions}; a field here only says where its value goes.
 */
@Command(name = "flotilla controller", sortOptions = false, subcommands = EnrollCommand.class,
    description = {
        "Runs the IflearnerJob controller: for each job it issues certificates, publishes CoreDNS records,",
        "and keeps a Service, an Ingress (or a Gateway API TLSRoute), a Pod and a NetworkPolicy in place. It",
        "reconciles the namespaces it is given (default: its own), and keeps the CA keys in its own namespace.",
        "Two replicas may run: one leads through a Lease, the other stands by."})
public final class ControllerMain implements Callable<Integer> {
  @Mixin LogOptions logOptions;

  private static final Logger LOG = LoggerFactory.getLogger(ControllerMain.class);

  @Option(names = "--kubeconfig")
  Path kubeconfig;

  @Option(names = "--namespace", split = ",")
  List<String> namespaces = new ArrayList<>();

  @Option(names = "--all-namespaces")
  boolean allNamespaces;

  @Option(names = "--controller-namespace")
  String controllerNamespace;

  @Option(names = "--ingress-address")
  String ingressAddress;

  @Option(names = "--cluster-domain")
  String clusterDomain;

  @Option(names = "--allowed-domain")
  List<String> allowedDomains = new ArrayList<>();

  @Option(names = "--allow-ingress-address-override")
  boolean allowIngressAddressOverride;

  @Option(names = "--ingress-address-override-namespace")
  List<String> ingressAddressOverrideNamespaces = new ArrayList<>();
  @Option(names = "--ingress-namespace")
  String ingressNamespace;

  @Option(names = "--gateway")
  String gateway;

  @Option(names = "--gateway-listener")
  String gatewayListener;

  @Option(names = "--gateway-proxy-namespace")
  String gatewayProxyNamespace;

  @Option(names = "--gateway-proxy-pod-label")
  Map<String, String> gatewayProxyPodLabels = new LinkedHashMap<>();

  @Option(names = "--metrics-scraper-namespace-label")
  Map<String, String> scraperNamespaceLabels;

  @Option(names = "--metrics-scraper-pod-label")
  Map<String, String> scraperPodLabels = new LinkedHashMap<>();

  @Option(names = "--coredns-configmap")
  String coreDnsConfigMap;

  @Option(names = "--pod-host-aliases", negatable = true, fallbackValue = "true")
  boolean podHostAliases;

  @Option(names = "--placement")
  PlacementEngine placement;

  @Option(names = "--health-port")
  int healthPort;

  @Option(names = "--enroll-federation")
  String enrollFederation;

  @Option(names = "--enroll-port")
  int enrollPort;

  @Option(names = "--enroll-attempts-per-minute")
  int enrollAttemptsPerMinute;

  @Option(names = "--enroll-certificates-per-organisation")
  int enrollCertificatesPerOrganisation;

  @Option(names = "--join")
  boolean join;

  @Option(names = "--federation-refresh")
  Duration federationRefresh;

  @Option(names = "--federation-member")
  String federationMember;

  @Option(names = "--leader-election", negatable = true, fallbackValue = "true")
  boolean leaderElection;

  @Option(names = "--lease-namespace")
  String leaseNamespace;

  @Option(names = "--resync")
  Duration resync;

  @Option(names = "--progress-interval")
  Duration progressInterval;

  @Option(names = "--startup-timeout")
  Duration startupTimeout;

  public static void main(String[] args) {
    Logging.start(LogContext.ROLE_CONTROLLER);
    System.exit(commandLine().execute(args));
  }

  /** The command line with the project's look and exit codes (ApiProbe's failures carry theirs). */
  public static CommandLine commandLine() {
    return commandLine(new ControllerMain());
  }

  /** {@code main} as a command line whose options are {@link ControllerOptions#SET} (tests read its fields). */
  static CommandLine commandLine(ControllerMain main) {
    return Cli.commandLine(main, List.of(ControllerOptions.SET, EnrollOptions.CREATE, EnrollOptions.REVOKE_TOKEN, EnrollOptions.REVOKE), t -> t instanceof IllegalArgumentException ? ExitCode.USAGE : null);
  }

  private Config clientConfig;

  @Override
  public Integer call() throws Exception {
    ControllerConfig config = buildConfig(() -> clientConfig().getNamespace());
    Config clientConfig = clientConfig();
    try (ApiProbe probe = new ApiProbe(clientConfig, Duration.ofSeconds(2), java.time.Clock.systemUTC())) {
      // before anything else talks to the API server: one line and an exit code instead of retries and stack traces
      probe.preflight(config.scope(), startupTimeout);
      if (config.gateway() != null) {
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build()) {
          GatewayApiCheck.requireServed(client);
        }
      }
      return run(config, clientConfig, probe);
    }
  }

  private int run(ControllerConfig config, Config clientConfig, ApiProbe probe) throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    ControllerMetrics metrics = new ControllerMetrics(registry);
    AtomicBoolean leading = new AtomicBoolean(!leaderElection);
    CountDownLatch stopped = new CountDownLatch(1);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
         Controller controller = new Controller(client, config, metrics, progressInterval);
         HealthServer health = healthPort > 0
             ? new HealthServer("0.0.0.0", healthPort,
                 () -> Readiness.of(probe.problem(), leaderElection, leading.get(), controller.isSynced()), registry) : null;
         EnrollmentServer enrollment = enrollmentServer(client, config);
         JoinController joins = join ? new JoinController(client, config.controllerNamespace(), java.time.Clock.systemUTC(),
             federationRefresh).start() : null;
         FederationController routes = federationMember != null ? new FederationController(client, config.controllerNamespace(),
             federationMember, config.scope().allNamespaces() ? List.of() : config.scope().namespaces(),
             new CoreDnsUpdater(client, config.coreDns(), new CorefileEditor(), CoreDnsUpdater.DEFAULT_MAX_ATTEMPTS)).start() : null) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "flotilla-shutdown"));
      LOG.info("connected to {}{}", clientConfig.getMasterUrl(), health == null ? "" : "; probes and metrics on :" + health.port());
      PublishPolicy publish = config.publish();
      LOG.info("host names: never under {}; federation domains: {}; spec.dns.ingressAddress honoured {}",
          publish.hosts().clusterDomains(), publish.hosts().allowedDomains().isEmpty() ? "any" : publish.hosts().allowedDomains(),
          publish.ingressAddressOverrideEverywhere() ? "in every namespace"
              : publish.ingressAddressOverrideNamespaces().isEmpty() ? "nowhere" : "in " + publish.ingressAddressOverrideNamespaces());
      List<String> excess = PrivilegeCheck.excess(client, config.scope());
      if (!excess.isEmpty()) {
        LOG.warn("this controller's identity may {}: more than it needs. A ClusterRoleBinding left by an earlier "
            + "release (kubectl get clusterrolebinding flotilla-controller) is the usual cause; see the controller README",
            String.join(", ", excess));
      }
      if (!leaderElection) {
        metrics.setLeader(true);
        controller.start();
        stopped.await();
        return 0;
      }
      String identity = identity();
      String lease = leaseNamespace != null ? leaseNamespace : config.controllerNamespace();
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

  /** The enrollment endpoint when --enroll-federation names one (every replica serves it: its state is in the API server). */
  private EnrollmentServer enrollmentServer(KubernetesClient client, ControllerConfig config) throws IOException {
    if (enrollFederation == null) {
      return null;
    }
    java.time.Clock clock = java.time.Clock.systemUTC();
    EnrollmentService service = new EnrollmentService(EnrollmentService.Federation.parse(enrollFederation),
        new dev.flotilla.controller.operator.CertificateAuthorities(client, config.controllerNamespace(),
            dev.flotilla.controller.operator.ObservedState.direct(client, config.controllerNamespace())),
        new EnrollmentStore(client, config.controllerNamespace()), clock, enrollCertificatesPerOrganisation);
    return new EnrollmentServer(new InetSocketAddress("0.0.0.0", enrollPort), service,
        new AttemptLimiter(enrollAttemptsPerMinute, Duration.ofMinutes(1), clock), clock);
  }

  /**
   * The configuration {@code args} describe, for a controller whose client reports
   * {@code clientNamespace} as its namespace (what a deployment's arguments amount to).
   */
  public static ControllerConfig configOf(String clientNamespace, String... args) {
    CommandLine cl = commandLine();
    cl.parseArgs(args);
    return ((ControllerMain) cl.getCommand()).buildConfig(() -> clientNamespace);
  }

  /**
   * The configuration the options describe; {@code clientNamespace} (the service account's or the
   * kubeconfig context's namespace) is asked for only when neither --controller-namespace nor
   * $POD_NAMESPACE names the controller's own namespace.
   */
  ControllerConfig buildConfig(Supplier<String> clientNamespace) {
    ControllerConfig config = ControllerConfig.defaults().withResync(resync).withPodHostAliases(podHostAliases)
        .withPlacement(placement).withFollowFederations(federationMember != null);
    if (ingressAddress != null) {
      // validates the literal with the dns module's rules
      config = config.withIngressAddress(DnsRecord.of("probe.invalid", ingressAddress).address());
    }
    int slash = coreDnsConfigMap.indexOf('/');
    if (slash <= 0 || slash == coreDnsConfigMap.length() - 1) {
      throw new IllegalArgumentException("--coredns-configmap must be NAMESPACE/NAME, got '" + coreDnsConfigMap + "'");
    }
    config = config.withCoreDns(new CoreDnsConfigMapRef(coreDnsConfigMap.substring(0, slash), coreDnsConfigMap.substring(slash + 1),
        CoreDnsConfigMapRef.DEFAULT_KEY));
    if (allNamespaces && !namespaces.isEmpty()) {
      throw new IllegalArgumentException("--all-namespaces and --namespace exclude each other");
    }
    config = config.withIsolation(new IsolationDefaults(ingressNamespace, scraperNamespaceLabels, scraperPodLabels))
        .withPublish(publishPolicy());
    if (gateway != null) {
      config = config.withGateway(GatewayRef.parse(gateway, gatewayListener == null ? GatewayRef.DEFAULT_LISTENER : gatewayListener,
          gatewayProxyNamespace, gatewayProxyPodLabels));
    } else if (gatewayListener != null || gatewayProxyNamespace != null || !gatewayProxyPodLabels.isEmpty()) {
      throw new IllegalArgumentException("--gateway-listener, --gateway-proxy-namespace and --gateway-proxy-pod-label "
          + "need --gateway NAMESPACE/NAME");
    }
    // last: it may read the kubeconfig, and every flag should be checked before that
    String own = ownNamespace(clientNamespace);
    WatchScope scope = allNamespaces ? WatchScope.all() : new WatchScope(false, namespaces.isEmpty() ? List.of(own) : namespaces);
    return config.withControllerNamespace(own).withScope(scope);
  }

  private PublishPolicy publishPolicy() {
    PublishPolicy policy = PublishPolicy.defaults()
        .withHosts(HostPolicy.of(List.of(clusterDomain), allowedDomains))
        .withIngressAddressOverrideIn(ingressAddressOverrideNamespaces);
    return allowIngressAddressOverride ? policy.withIngressAddressOverrideEverywhere() : policy;
  }

  private String ownNamespace(Supplier<String> clientNamespace) {
    String own = controllerNamespace;
    if (own == null || own.isBlank()) {
      own = System.getenv("POD_NAMESPACE");
    }
    if (own == null || own.isBlank()) {
      own = clientNamespace.get();
    }
    return own == null || own.isBlank() ? "default" : own;
  }

  private Config clientConfig() {
    if (clientConfig != null) {
      return clientConfig;
    }
    if (kubeconfig == null) {
      clientConfig = Config.autoConfigure(null);
      return clientConfig;
    }
    Cli.requireFile("--kubeconfig", kubeconfig);
    try {
      clientConfig = Config.fromKubeconfig(Files.readString(kubeconfig));
    } catch (IOException e) {
      throw new UncheckedIOException("--kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
    }
    return clientConfig;
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
