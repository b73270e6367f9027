package dev.flotilla.controller;

import dev.flotilla.common.logging.LogOptions;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.controller.model.GatewayRef;
import dev.flotilla.controller.model.IsolationDefaults;
import dev.flotilla.controller.model.NetworkPolicyModel;
import dev.flotilla.controller.model.PlacementEngine;
import dev.flotilla.dns.HostPolicy;
import java.nio.file.Path;
import java.time.Duration;

/** Every option of {@code flotilla controller}, defined once (the flags it gives the aggregator's pod are ServerOptions). */
public final class ControllerOptions {
  private ControllerOptions() {}

  public static final ConfigOption<Path> KUBECONFIG = ConfigOption.path("--kubeconfig")
      .defaultText("in-cluster service account, then $KUBECONFIG or ~/.kube/config")
      .description("kubeconfig to use");

  public static final ConfigOption<String> NAMESPACE = ConfigOption.string("--namespace").paramLabel("NS")
      .repeatable()
      .defaultText("the controller's own namespace")
      .description("reconcile IflearnerJobs in this namespace (repeatable or comma-separated; each needs the Role of "
          + "config/rbac/namespaced)");

  public static final ConfigOption<Boolean> ALL_NAMESPACES = ConfigOption.onOff("--all-namespaces")
      .description("reconcile IflearnerJobs in every namespace (needs config/cluster-wide's ClusterRole, and a "
          + "RoleBinding of flotilla-controller-secrets in each job namespace; Secrets are then not watched, only "
          + "read per job)");

  public static final ConfigOption<String> CONTROLLER_NAMESPACE = ConfigOption.string("--controller-namespace")
      .paramLabel("NS")
      .defaultText("$POD_NAMESPACE, else the service account's or the kubeconfig context's namespace, else default")
      .description("the controller's own namespace, where the CA Secrets (with their keys) and the Lease live");

  public static final ConfigOption<String> INGRESS_ADDRESS = ConfigOption.string("--ingress-address").paramLabel("IP")
      .defaultText("the address in each job's Ingress status")
      .description("address of the ingress controller for DNS records when a job gives none");

  public static final ConfigOption<String> CLUSTER_DOMAIN = ConfigOption.string("--cluster-domain").paramLabel("DOMAIN")
      .defaultValue(HostPolicy.DEFAULT_CLUSTER_DOMAIN)
      .description("the cluster's DNS domain: no job host may be under it, nor under cluster.local");

  public static final ConfigOption<String> ALLOWED_DOMAIN = ConfigOption.string("--allowed-domain").paramLabel("DOMAIN")
      .repeatable()
      .defaultText("none, so any domain that passes the name rules")
      .description("a federation domain jobs may use, with its subdomains");

  public static final ConfigOption<Boolean> ALLOW_INGRESS_ADDRESS_OVERRIDE =
      ConfigOption.onOff("--allow-ingress-address-override")
          .description("honour spec.dns.ingressAddress in every namespace (default: in none; the records answer "
              + "--ingress-address)");

  public static final ConfigOption<String> INGRESS_ADDRESS_OVERRIDE_NAMESPACE =
      ConfigOption.string("--ingress-address-override-namespace").paramLabel("NS")
          .repeatable()
          .defaultText("none")
          .description("honour spec.dns.ingressAddress in this namespace");

  public static final ConfigOption<String> INGRESS_NAMESPACE = ConfigOption.string("--ingress-namespace").paramLabel("NS")
      .defaultValue(IsolationDefaults.DEFAULT_INGRESS_NAMESPACE)
      .description("namespace of the ingress controller's pods, let in by every job's NetworkPolicy on its gRPC port; "
          + "a job's spec.isolation.ingressNamespace wins");

  public static final ConfigOption<String> GATEWAY = ConfigOption.string("--gateway").paramLabel("NS/NAME")
      .environment("FLOTILLA_GATEWAY")
      .defaultText("none: such jobs are refused with TLSRouteReady=False")
      .description("the Gateway (Gateway API) whose TLS passthrough listener carries the jobs with spec.route: gateway, "
          + "each through its own TLSRoute; the API server must serve TLSRoute gateway.networking.k8s.io/v1 (Gateway API "
          + "v1.5 or later, standard channel)");

  public static final ConfigOption<String> GATEWAY_LISTENER = ConfigOption.string("--gateway-listener").paramLabel("NAME")
      .defaultText(GatewayRef.DEFAULT_LISTENER)
      .description("name of that Gateway's listener (protocol TLS, tls.mode Passthrough) the TLSRoutes attach to, their "
          + "parentRefs' sectionName");

  public static final ConfigOption<String> GATEWAY_PROXY_NAMESPACE = ConfigOption.string("--gateway-proxy-namespace")
      .paramLabel("NS")
      .defaultText("the Gateway's namespace")
      .description("namespace of the pods that carry the Gateway's traffic, let in by the NetworkPolicies of jobs with "
          + "spec.route: gateway in place of --ingress-namespace");

  public static final ConfigOption<String> GATEWAY_PROXY_POD_LABEL = ConfigOption.string("--gateway-proxy-pod-label")
      .paramLabel("KEY=VALUE")
      .repeatable()
      .defaultText("any pod in that namespace")
      .description("labels of those pods");

  public static final ConfigOption<String> METRICS_SCRAPER_NAMESPACE_LABEL =
      ConfigOption.string("--metrics-scraper-namespace-label").paramLabel("KEY=VALUE")
          .repeatable()
          .defaultValue(NetworkPolicyModel.NAMESPACE_NAME_LABEL + "=monitoring")
          .description("labels of the namespaces whose pods may scrape the aggregators' metrics port through their "
              + "NetworkPolicy");

  public static final ConfigOption<String> METRICS_SCRAPER_POD_LABEL = ConfigOption.string("--metrics-scraper-pod-label")
      .paramLabel("KEY=VALUE")
      .repeatable()
      .defaultText("any pod there")
      .description("labels of the scraper's pods in those namespaces");

  public static final ConfigOption<String> COREDNS_CONFIGMAP = ConfigOption.string("--coredns-configmap")
      .paramLabel("NS/NAME")
      .defaultValue("kube-system/coredns")
      .description("ConfigMap holding the Corefile");

  public static final ConfigOption<Boolean> POD_HOST_ALIASES = ConfigOption.onOff("--pod-host-aliases")
      .description("give each job's pod its DNS records as hostAliases (its own host and its job's server host -> the "
          + "ingress address), for clusters whose pods cannot resolve the job hosts (no CoreDNS); a missing CoreDNS "
          + "ConfigMap is then no error");

  public static final ConfigOption<PlacementEngine> PLACEMENT = ConfigOption.of("--placement", "none|karmada|ocm",
          PlacementEngine::parse, PlacementEngine::flagName)
      .defaultValue(PlacementEngine.NONE)
      .description("hand jobs with spec.placement to a multi-cluster engine instead of running them here: karmada (a "
          + "PropagationPolicy per job; run the controller against karmada-apiserver) or ocm (an Open Cluster Management "
          + "Placement per job and a ManifestWork per cluster it chose; run it on the hub). none: spec.placement is "
          + "ignored and every job runs in this cluster, as on the member clusters");

  public static final ConfigOption<Integer> HEALTH_PORT = ConfigOption.integer("--health-port").paramLabel("PORT")
      .check(p -> p >= 0 && p <= 65535, "a port, 0..65535")
      .defaultValue(8081)
      .description("port of /healthz, /readyz and /metrics; 0 = off");

  public static final ConfigOption<String> ENROLL_FEDERATION = ConfigOption.string("--enroll-federation")
      .paramLabel("NS/DOMAIN")
      .defaultText("no endpoint")
      .description("serve the enrollment endpoint of this federation (the job namespace whose CA signs, and the trust "
          + "domain): https://flotilla-enroll.server.DOMAIN, routed to --enroll-port like an aggregator's host; parties "
          + "enroll with tokens from 'controller enroll token create'");

  public static final ConfigOption<Boolean> JOIN = ConfigOption.onOff("--join")
      .description("as a party organisation: enroll and renew the identity each join Secret (type flotilla.dev/join) of "
          + "the controller's namespace asks for, the key made and kept in this cluster (needs config/rbac/join). The "
          + "Secret's optional key namespaces (comma-separated, at most 64 namespace names) lists the only namespaces whose "
          + "jobs may use that identity; a job elsewhere naming the organisation gets none (CertificatesReady False, "
          + "EnrolledIdentityNamespaceRefused), an invalid list refuses every namespace. Without the key every watched "
          + "namespace may (a warning is logged)");

  public static final ConfigOption<Duration> FEDERATION_REFRESH = ConfigOption.duration("--federation-refresh")
      .defaultValue(Duration.ofSeconds(30))
      .description("with --join: how often an enrolled organisation asks the coordinator for its federation's members "
          + "and applies them as the Federation <domain> here (0: never)");

  public static final ConfigOption<String> FEDERATION_MEMBER = ConfigOption.string("--federation-member").paramLabel("NAME")
      .defaultText("none: Federations are not read")
      .description("this cluster's member name in the Federations of the controller's namespace: their other members "
          + "become CoreDNS records (*.server.<domain>, *.<party>.party.<domain>) and their CAs the ConfigMap "
          + "flotilla-federation-trust.<domain> in each watched namespace; a Flotilla aggregator of a Federation's domain "
          + "admits its party members (its parties file); with --pod-host-aliases a party pod's server host is the "
          + "coordinator's address");

  public static final ConfigOption<Integer> ENROLL_PORT = ConfigOption.integer("--enroll-port").paramLabel("PORT")
      .check(p -> p > 0 && p <= 65535, "a port, 1..65535")
      .defaultValue(8443)
      .description("port of the enrollment endpoint");

  public static final ConfigOption<Integer> ENROLL_ATTEMPTS_PER_MINUTE = ConfigOption.integer(
          "--enroll-attempts-per-minute").paramLabel("N")
      .check(n -> n > 0, "at least 1")
      .defaultValue(30)
      .description("enrollment attempts allowed per client address and minute; renewals and pods' identities per party identity");

  public static final ConfigOption<Integer> ENROLL_CERTIFICATES_PER_ORGANISATION = ConfigOption.integer(
          "--enroll-certificates-per-organisation").paramLabel("N")
      .check(n -> n > 0, "at least 1")
      .defaultValue(dev.flotilla.controller.enroll.EnrollmentService.DEFAULT_CERTIFICATES_PER_ORGANISATION)
      .description("unexpired certificates the enrollment endpoint issues to one organisation, its own and its party "
          + "pods' together (each is recorded for revocation until it expires); beyond it a request is refused with 429 "
          + "until one expires, so no organisation can fill the record every organisation's enrollment needs; a "
          + "certificate on the record may still renew once beyond it");

  public static final ConfigOption<Boolean> LEADER_ELECTION = ConfigOption.onOff("--leader-election")
      .defaultValue(true)
      .description("hold a Lease so only one replica reconciles");

  public static final ConfigOption<String> LEASE_NAMESPACE = ConfigOption.string("--lease-namespace").paramLabel("NS")
      .defaultText("the controller's own namespace")
      .description("namespace of the Lease");

  public static final ConfigOption<Duration> RESYNC = ConfigOption.positiveDuration("--resync")
      .defaultValue(Duration.ofMinutes(10))
      .description("reconcile every job at least this often: 10m, 30s, 1h or ISO-8601 PT10M");

  public static final ConfigOption<Duration> PROGRESS_INTERVAL = ConfigOption.duration("--progress-interval")
      .defaultValue(Duration.ofSeconds(10))
      .description("ask each running Flotilla aggregator for its progress (round, accuracy, loss, parties) this often, "
          + "over mutual TLS as the controller identity, and write it to the job's status when it moved; 0 = never, "
          + "status then shows the numbers when the aggregator ends");

  public static final ConfigOption<Duration> STARTUP_TIMEOUT = ConfigOption.duration("--startup-timeout")
      .defaultValue(Duration.ofSeconds(30))
      .description("how long to keep trying to reach the API server at start before exiting with code 3 (a CRD that "
          + "is missing or a Role that is lacking ends it at once)");

  public static final OptionSet SET = OptionSet.of("flotilla controller", KUBECONFIG, NAMESPACE, ALL_NAMESPACES,
      CONTROLLER_NAMESPACE, INGRESS_ADDRESS, CLUSTER_DOMAIN, ALLOWED_DOMAIN, ALLOW_INGRESS_ADDRESS_OVERRIDE,
      INGRESS_ADDRESS_OVERRIDE_NAMESPACE, INGRESS_NAMESPACE, GATEWAY, GATEWAY_LISTENER, GATEWAY_PROXY_NAMESPACE,
      GATEWAY_PROXY_POD_LABEL, METRICS_SCRAPER_NAMESPACE_LABEL, METRICS_SCRAPER_POD_LABEL, COREDNS_CONFIGMAP,
      POD_HOST_ALIASES, PLACEMENT, HEALTH_PORT, ENROLL_FEDERATION, ENROLL_PORT, ENROLL_ATTEMPTS_PER_MINUTE, ENROLL_CERTIFICATES_PER_ORGANISATION, JOIN, FEDERATION_REFRESH, FEDERATION_MEMBER, LEADER_ELECTION, LEASE_NAMESPACE, RESYNC, PROGRESS_INTERVAL, STARTUP_TIMEOUT)
      .with(LogOptions.FORMAT);
}
