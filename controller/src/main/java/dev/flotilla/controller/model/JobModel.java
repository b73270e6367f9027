package dev.flotilla.controller.model;

import dev.flotilla.certs.Identity;
import dev.flotilla.controller.api.DnsSpec;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.IsolationSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.Route;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.dns.FederationHost;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link IflearnerJob} with every default resolved: the one place that decides names, ports,
 * the TLS mode, the domain and the identity. Pure: no I/O, so every builder that reads it is
 * unit-testable field by field.
 */
public final class JobModel {

  public static final String FIELD_MANAGER = "flotilla-controller";
  public static final String LABEL_NAME = "app.kubernetes.io/name";
  public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String LABEL_ROLE = "git.iflytek.com/role";
  public static final String APP_NAME = "iflearnerjob";

  public static final int DEFAULT_SERVER_PORT = 50051;
  public static final int DEFAULT_CLIENT_PORT = 50001;
  public static final int DEFAULT_METRICS_PORT = 9090;
  public static final int DEFAULT_VALIDITY_DAYS = 90;
  /** Appended to the host's first label for the bulk-upload port's name ({@link #bulkHost()}). */
  public static final String BULK_LABEL_SUFFIX = "-bulk";

  private final IflearnerJob job;
  private final IflearnerJobSpec spec;
  /** Null for the job itself; i for the view of its party pod i ({@link #pods()}). */
  private final Integer podIndex;

  public JobModel(IflearnerJob job) {
    this(job, null);
  }

  private JobModel(IflearnerJob job, Integer podIndex) {
    this.podIndex = podIndex;
    this.job = Objects.requireNonNull(job, "job");
    this.spec = Objects.requireNonNull(job.getSpec(), "spec");
    if (spec.getRole() == null) {
      throw new IllegalArgumentException(ref() + ": spec.role is required (server or client)");
    }
    if (spec.getTemplate() == null || spec.getTemplate().getSpec() == null
        || spec.getTemplate().getSpec().getContainers() == null || spec.getTemplate().getSpec().getContainers().isEmpty()) {
      throw new IllegalArgumentException(ref() + ": spec.template.spec.containers must list at least one container");
    }
  }

  public IflearnerJob job() {
    return job;
  }

  /**
   * The job's pods, each as a view that names its pod, its Secret and its identity: the job itself, or with
   * spec.virtualPartyPods N its N party pods ({@link VirtualPartiesModel#podCount}).
   */
  public List<JobModel> pods() {
    Integer n = VirtualPartiesModel.podCount(this);
    if (n == null) {
      return List.of(this);
    }
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> new JobModel(job, i)).toList();
  }

  /** True when the job's pods are party pods {@code <job>-p<i>} (spec.virtualPartyPods), not the one pod {@code <job>}. */
  public boolean podIndexed() {
    return VirtualPartiesModel.podCount(this) != null;
  }

  /** The index of the party pod this view names, or null for the job itself. */
  public Integer podIndex() {
    return podIndex;
  }

  public IflearnerJobSpec spec() {
    return spec;
  }

  public String name() {
    return job.getMetadata().getName();
  }

  public String namespace() {
    return job.getMetadata().getNamespace();
  }

  /** namespace/name, the prefix of every log line and message about this job. */
  public String ref() {
    return job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
  }

  public Role role() {
    return spec.getRole();
  }

  public boolean hasHost() {
    return spec.getHost() != null && !spec.getHost().isBlank();
  }

  /** The host, lower case, without a trailing dot; null when the job has none. */
  public String host() {
    if (!hasHost()) {
      return null;
    }
    String h = spec.getHost().trim().toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  /** The host taken apart when it has one of the two federation shapes (whatever the role). */
  public Optional<FederationHost> federationHost() {
    return hasHost() ? FederationHost.parse(host()) : Optional.empty();
  }

  /**
   * The federation domain, the trust domain of the job's identities: the host's
   * ({@code job1.server.iflearner.com} and {@code job1.a.party.iflearner.com} give {@code iflearner.com}),
   * else {@code spec.domain}, else {@code <namespace>.flotilla.local}. {@link HostAdmission} refuses
   * a job whose {@code spec.domain} differs from its host's, so the two never disagree in a
   * certificate.
   */
  public String domain() {
    Optional<FederationHost> parsed = federationHost();
    if (parsed.isPresent()) {
      return parsed.get().domain();
    }
    if (spec.getDomain() != null && !spec.getDomain().isBlank()) {
      return spec.getDomain().trim().toLowerCase(Locale.ROOT);
    }
    return namespace() + ".flotilla.local";
  }

  /** The job the identity belongs to: the host's first label (for both shapes), else the object's name as a label. */
  public String identityJob() {
    return federationHost().map(FederationHost::job).orElse(asLabel(name()));
  }

  /**
   * The identity's name: a party's label in {@code <job>.<party>.party.<domain>}, a server's job
   * label in {@code <job>.server.<domain>} (a server is named after its job), else the object's name.
   */
  public String identityName() {
    return federationHost().map(FederationHost::name).orElse(asLabel(name()));
  }

  /**
   * The identity the certificate carries: {@code spiffe://<domain>/job/<job>/server/<job>} or
   * {@code spiffe://<domain>/job/<job>/party/<party>}, or for a client with spec.virtualParties K
   * {@code spiffe://<domain>/job/<job>/party/<party>/virtual/K}; party pod i of spec.virtualPartyPods is the host
   * {@code <party>-p<i>}.
   */
  public Identity identity() {
    if (role() == Role.SERVER) {
      return Identity.server(domain(), identityJob(), identityName());
    }
    Integer virtual = VirtualPartiesModel.hostedBy(this);
    return virtual == null ? Identity.party(domain(), identityJob(), identityName())
        : Identity.virtualPartyHost(domain(), identityJob(), VirtualPartiesModel.hostName(identityName(), podIndex), virtual);
  }

  public String identityUri() {
    return identity().uri();
  }

  /** Object names may hold dots and run to 253 characters; identity segments are single DNS labels. */
  private static String asLabel(String name) {
    String label = name.replace('.', '-');
    return label.length() > 63 ? label.substring(0, 63).replaceAll("-+$", "") : label;
  }

  /**
   * The TLS mode: {@code spec.tls.mode}; when absent, passthrough for Flotilla runtime images and
   * terminate for any other image, which is how iflearner-operator exposed iflearner images.
   */
  public TlsMode tlsMode() {
    if (spec.getTls() != null && spec.getTls().getMode() != null) {
      return spec.getTls().getMode();
    }
    return usesFlotillaRuntime() ? TlsMode.PASSTHROUGH : TlsMode.TERMINATE;
  }

  /** {@code spec.route}, else {@link Route#INGRESS}: iflearner-operator's manifests name none and keep their Ingress. */
  public Route route() {
    return spec.getRoute() == null ? Route.INGRESS : spec.getRoute();
  }

  /** True when the first container's image repository is a Flotilla runtime image. */
  public boolean usesFlotillaRuntime() {
    return isFlotillaRuntimeImage(firstContainer().getImage());
  }

  /**
   * True when the image's repository is a Flotilla runtime image: its last path segment (without tag
   * or digest) starts with {@code flotilla} ({@code ghcr.io/x/flotilla-server}), or the segment before
   * it is {@code flotilla} ({@code localhost/flotilla/server}, the names the build gives its images).
   */
  public static boolean isFlotillaRuntimeImage(String image) {
    if (image == null) {
      return false;
    }
    String repository = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
    int slash = repository.lastIndexOf('/');
    String last = repository.substring(slash + 1);
    int colon = last.indexOf(':');
    last = colon >= 0 ? last.substring(0, colon) : last;
    String parent = slash < 0 ? "" : repository.substring(repository.lastIndexOf('/', slash - 1) + 1, slash);
    return last.startsWith("flotilla") || parent.equals("flotilla");
  }

  public Container firstContainer() {
    return spec.getTemplate().getSpec().getContainers().get(0);
  }

  /** spec.port, else the first containerPort of the first container, else iflearner's port for the role. */
  public int grpcPort() {
    if (spec.getPort() != null) {
      return spec.getPort();
    }
    List<ContainerPort> ports = firstContainer().getPorts();
    if (ports != null && !ports.isEmpty() && ports.get(0).getContainerPort() != null) {
      return ports.get(0).getContainerPort();
    }
    return role() == Role.SERVER ? DEFAULT_SERVER_PORT : DEFAULT_CLIENT_PORT;
  }

  /** The aggregator's metrics port; 0 for a client or when switched off. */
  public int metricsPort() {
    if (role() != Role.SERVER) {
      return 0;
    }
    return spec.getMetricsPort() != null ? spec.getMetricsPort() : DEFAULT_METRICS_PORT;
  }

  /** The aggregator's bulk-upload port; 0 for a client or when the job has none. */
  public int bulkPort() {
    if (role() != Role.SERVER || spec.getBulkPort() == null) {
      return 0;
    }
    return spec.getBulkPort();
  }

  /**
   * The name the bulk-upload port is routed by (SNI) beside the host: the host's first label with
   * {@value #BULK_LABEL_SUFFIX} ({@code job1.server.d} gives {@code job1-bulk.server.d}), so it stays
   * one label under {@code .server.<domain>}, the only names a server certificate may carry; null
   * when the job has no host or no bulk port.
   */
  public String bulkHost() {
    if (!hasHost() || bulkPort() == 0) {
      return null;
    }
    String h = host();
    int dot = h.indexOf('.');
    return dot < 0 ? h + BULK_LABEL_SUFFIX : h.substring(0, dot) + BULK_LABEL_SUFFIX + h.substring(dot);
  }

  public boolean dnsEnabled() {
    DnsSpec dns = spec.getDns();
    return hasHost() && (dns == null || dns.getEnabled() == null || dns.getEnabled());
  }

  /** The address from {@code spec.dns.ingressAddress}, or null. */
  public String specIngressAddress() {
    DnsSpec dns = spec.getDns();
    return dns == null || dns.getIngressAddress() == null || dns.getIngressAddress().isBlank()
        ? null : dns.getIngressAddress().trim();
  }

  /** On unless the job switches it off explicitly ({@code spec.isolation.enabled: false}). */
  public boolean isolationEnabled() {
    IsolationSpec isolation = spec.getIsolation();
    return isolation == null || isolation.getEnabled() == null || isolation.getEnabled();
  }

  /** {@code spec.isolation.ingressNamespace}, else {@code controllerDefault} (the controller's --ingress-namespace). */
  public String ingressNamespace(String controllerDefault) {
    IsolationSpec isolation = spec.getIsolation();
    return isolation == null || isolation.getIngressNamespace() == null || isolation.getIngressNamespace().isBlank()
        ? controllerDefault : isolation.getIngressNamespace().trim();
  }

  public Duration certificateLifetime() {
    Integer days = spec.getTls() == null ? null : spec.getTls().getValidityDays();
    return Duration.ofDays(days == null || days < 1 ? DEFAULT_VALIDITY_DAYS : days);
  }

  // ---- names of the children ----

  public String serviceName() {
    return name();
  }

  public String ingressName() {
    return name();
  }

  public String tlsRouteName() {
    return name();
  }

  /** The second TLSRoute, of the bulk-upload port's name (a TLSRoute's rules cannot tell its hostnames apart). */
  public String bulkTlsRouteName() {
    return name() + BULK_LABEL_SUFFIX;
  }

  /** {@code <job>}, or for party pod i of spec.virtualPartyPods {@code <job>-p<i>}. */
  public String podName() {
    return podIndex == null ? name() : name() + VirtualPartiesModel.POD_SUFFIX + podIndex;
  }

  /** The Secret of the pod's certificate: {@code <pod>-tls}. */
  public String tlsSecretName() {
    return podName() + "-tls";
  }

  public String networkPolicyName() {
    return name() + "-isolation";
  }

  /**
   * The Secret (tls.crt, tls.key, ca.crt) with the client certificate ingress-nginx presents to a
   * Flotilla aggregator in terminate mode ({@code proxy-ssl-secret}): identity {@code ingress-nginx},
   * clientAuth, issued by the job's CA; one per namespace and domain, like the CA. The aggregator
   * runs with {@code --trusted-proxy ingress-nginx}. {@code flotilla-ingress-client.<domain>}: with the
   * dots kept, two domains never share the Secret (and never take turns reissuing it).
   */
  public String ingressClientSecretName() {
    String n = "flotilla-ingress-client." + domain();
    if (n.length() > 253) {
      throw new IllegalArgumentException(ref() + ": domain " + domain() + " is too long for the Secret " + n.substring(0, 40)
          + "... (Secret names have at most 253 characters)");
    }
    return n;
  }

  /** The owner key of the job's CoreDNS records. */
  public String dnsOwner() {
    return "iflearnerjob/" + namespace() + "/" + name();
  }

  /** The labels every child carries; the first two select the pod. */
  public Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>(selectorLabels());
    labels.put(LABEL_MANAGED_BY, FIELD_MANAGER);
    labels.put(LABEL_ROLE, role().wireName());
    return labels;
  }

  public Map<String, String> selectorLabels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_NAME, APP_NAME);
    labels.put(LABEL_INSTANCE, name());
    return labels;
  }

  /** The controller owner reference every child carries, so deleting the job deletes them. */
  public OwnerReference ownerReference() {
    return new OwnerReferenceBuilder()
        .withApiVersion(IflearnerJob.API_VERSION)
        .withKind(IflearnerJob.KIND)
        .withName(name())
        .withUid(job.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
