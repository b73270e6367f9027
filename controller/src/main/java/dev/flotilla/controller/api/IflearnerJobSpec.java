package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

/**
 * {@code spec}. The first four fields are iflearner-operator's ({@code schedulername} spelled as
 * it spelled it); the rest are Flotilla's optional additions.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IflearnerJobSpec {

  /** The most virtual parties a job declares: per pod, and over all its pods. */
  public static final int VIRTUAL_PARTIES_MAX = 10000;
  /** The most party pods one client job makes (spec.virtualPartyPods). */
  public static final int VIRTUAL_PARTY_PODS_MAX = 100;

  @JsonProperty("schedulername")
  @JsonPropertyDescription("Scheduler for the job's pod (iflearner-operator field).")
  private String schedulerName;

  @Required
  @JsonPropertyDescription("server (the aggregator) or client (a party).")
  private Role role;

  @Size(max = 253)
  @JsonPropertyDescription("Host name the job is reached at through the ingress: <job>.server.<domain> for a server "
      + "(job1.server.iflearner.com), <job>.<party>.party.<domain> for a client (job1.a.party.iflearner.com). "
      + "A job whose host does not fit its role, or names a reserved or not allowed domain, is refused.")
  private String host;

  @Required
  @JsonPropertyDescription("The pod to run (iflearner-operator field).")
  private PodTemplateSpec template;

  @JsonPropertyDescription("TLS mode and certificate lifetime.")
  private TlsSpec tls;

  @JsonPropertyDescription("How connections from outside the cluster reach the job: ingress (default; an Ingress for "
      + "ingress-nginx) or gateway (a Gateway API TLSRoute on the controller's --gateway listener, TLS passthrough only).")
  private Route route;

  @Size(max = 253)
  @JsonPropertyDescription("Federation domain; certificates carry spiffe://<domain>/job/<job>/... identities. "
      + "Always the host without its job label and its server / <party>.party labels; if given, it must be that.")
  private String domain;

  @JsonPropertyDescription("CoreDNS records for the host.")
  private DnsSpec dns;

  @JsonPropertyDescription("The NetworkPolicy around the job's pod (on unless enabled: false).")
  private IsolationSpec isolation;

  @Min(1)
  @Max(65535)
  @JsonPropertyDescription("Port the runtime serves gRPC on in the pod. Default: the first container's first "
      + "containerPort, else 50051 for a server and 50001 for a client (iflearner's ports).")
  private Integer port;

  @Min(0)
  @Max(65535)
  @JsonPropertyDescription("Port of the aggregator's Prometheus metrics (server role; default 9090, 0 = none).")
  private Integer metricsPort;

  @Min(0)
  @Max(65535)
  @JsonPropertyDescription("Port of the aggregator's bulk-upload listener in the pod (server role, the runtime's "
      + "--bulk-port; default 0 = none). When set, the Service, the route, the DNS record and the certificate carry a "
      + "second name, <job>-bulk.server.<domain>, routed by SNI to this port (the parties' --bulk-server-name).")
  private Integer bulkPort;

  @JsonPropertyDescription("A differential-privacy budget the aggregator keeps (server role, Flotilla image): "
      + "DP-FedAvg with clipping, Gaussian noise and a Renyi-DP accountant; no round starts beyond the budget.")
  private PrivacySpec privacy;

  @Min(1)
  @Max(VIRTUAL_PARTIES_MAX)
  @JsonPropertyDescription("Virtual parties of a study too big for one machine (Flotilla images). On a client job: its "
      + "pod hosts this many virtual parties, <party>-v0 .. <party>-v<K-1>, each a party of its own to the aggregator "
      + "(the runtime's --virtual-parties K; its certificate is a virtual-party host identity "
      + "spiffe://<domain>/job/<job>/party/<party>/virtual/K that covers exactly those names). With "
      + "virtualPartyPods N the job makes N such pods instead (see there). On a server job: the aggregator admits "
      + "hosts of up to this many virtual parties (--virtual-parties-per-host K). Unset: one party per pod, as before.")
  private Integer virtualParties;

  @Min(1)
  @Max(VIRTUAL_PARTY_PODS_MAX)
  @JsonPropertyDescription("Client jobs with virtualParties K (Flotilla images): the number N of party pods the job "
      + "makes, <job>-p0 .. <job>-p<N-1>, each hosting K virtual parties. Pod i is the host <party>-p<i> (its own "
      + "certificate spiffe://<domain>/job/<job>/party/<party>-p<i>/virtual/K, Secret <job>-p<i>-tls) of "
      + "<party>-p<i>-v0 .. v<K-1>, and trains the study's parts i*K .. i*K+K-1 of N*K (--partition-index i*K, "
      + "--partition-count N*K); the aggregator's allow-list names all N*K. At most " + VIRTUAL_PARTIES_MAX
      + " virtual parties in all. Unset: one pod, <job>, as before.")
  private Integer virtualPartyPods;

  @JsonPropertyDescription("The party-to-party channel (client: serve a peer endpoint at the job's host through its "
      + "route; server: ask the parties to check their peers each round). Flotilla images in passthrough mode.")
  private PeerSpec peer;

  @JsonPropertyDescription("Member clusters to run the job in, through the controller's multi-cluster engine "
      + "(--placement karmada: a Karmada PropagationPolicy; --placement ocm: an OCM Placement and a ManifestWork per "
      + "chosen cluster). Ignored with --placement none (the default): the job runs in this cluster.")
  private PlacementSpec placement;

  public String getSchedulerName() {
    return schedulerName;
  }

  public void setSchedulerName(String schedulerName) {
    this.schedulerName = schedulerName;
  }

  public Role getRole() {
    return role;
  }

  public void setRole(Role role) {
    this.role = role;
  }

  public String getHost() {
    return host;
  }

  public void setHost(String host) {
    this.host = host;
  }

  public PodTemplateSpec getTemplate() {
    return template;
  }

  public void setTemplate(PodTemplateSpec template) {
    this.template = template;
  }

  public TlsSpec getTls() {
    return tls;
  }

  public void setTls(TlsSpec tls) {
    this.tls = tls;
  }

  public Route getRoute() {
    return route;
  }

  public void setRoute(Route route) {
    this.route = route;
  }

  public String getDomain() {
    return domain;
  }

  public void setDomain(String domain) {
    this.domain = domain;
  }

  public DnsSpec getDns() {
    return dns;
  }

  public void setDns(DnsSpec dns) {
    this.dns = dns;
  }

  public IsolationSpec getIsolation() {
    return isolation;
  }

  public void setIsolation(IsolationSpec isolation) {
    this.isolation = isolation;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }

  public Integer getMetricsPort() {
    return metricsPort;
  }

  public void setMetricsPort(Integer metricsPort) {
    this.metricsPort = metricsPort;
  }

  public Integer getBulkPort() {
    return bulkPort;
  }

  public void setBulkPort(Integer bulkPort) {
    this.bulkPort = bulkPort;
  }

  public PrivacySpec getPrivacy() {
    return privacy;
  }

  public void setPrivacy(PrivacySpec privacy) {
    this.privacy = privacy;
  }

  public Integer getVirtualParties() {
    return virtualParties;
  }

  public void setVirtualParties(Integer virtualParties) {
    this.virtualParties = virtualParties;
  }

  public Integer getVirtualPartyPods() {
    return virtualPartyPods;
  }

  public void setVirtualPartyPods(Integer virtualPartyPods) {
    this.virtualPartyPods = virtualPartyPods;
  }

  public PeerSpec getPeer() {
    return peer;
  }

  public void setPeer(PeerSpec peer) {
    this.peer = peer;
  }

  public PlacementSpec getPlacement() {
    return placement;
  }

  public void setPlacement(PlacementSpec placement) {
    this.placement = placement;
  }
}
