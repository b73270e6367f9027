package dev.flotilla.controller.model;

import dev.flotilla.controller.api.Route;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One NetworkPolicy around the job's pod, unless the job sets {@code spec.isolation.enabled: false}:
 * in, only the ingress controller's pods on the gRPC port (every peer of the job, server or party,
 * reaches it through the ingress) and the metrics scraper on the aggregator's metrics port; out,
 * only cluster DNS and the ingress controller (its pods, and its published address when known).
 * Plain Kubernetes objects, enforced by any CNI that implements NetworkPolicy.
 */
public final class NetworkPolicyModel {

  public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
  public static final Map<String, String> INGRESS_POD_LABELS = Map.of("app.kubernetes.io/name", "ingress-nginx");
  public static final Map<String, String> DNS_POD_LABELS = Map.of("k8s-app", "kube-dns");
  public static final String DNS_NAMESPACE = "kube-system";
  /** The controller's pods (config/manager): they read running aggregators' progress. */
  public static final Map<String, String> CONTROLLER_POD_LABELS = Map.of("app.kubernetes.io/name", "flotilla-controller");

  private NetworkPolicyModel() {}

  /** The policy of a job routed through ingress-nginx, or null when the job switched isolation off. */
  public static NetworkPolicy desired(JobModel job, String ingressAddress, IsolationDefaults defaults) {
    return desired(job, ingressAddress, defaults, null, null);
  }

  /**
   * The policy, or null when the job switched isolation off. {@code ingressAddress} may be null.
   * A job with {@code spec.route: gateway} lets in the Gateway's proxy pods ({@code gateway}'s
   * proxy namespace and pod labels) instead of ingress-nginx's; its {@code spec.isolation.ingressNamespace}
   * still wins, for either route. When {@code controllerNamespace} is given (the controller polls
   * progress), a Flotilla aggregator also lets in the controller's pods of that namespace on its
   * gRPC port, where it answers them JobObserver.Progress and nothing else.
   */
  public static NetworkPolicy desired(JobModel job, String ingressAddress, IsolationDefaults defaults, GatewayRef gateway,
      String controllerNamespace) {
    if (!job.isolationEnabled()) {
      return null;
    }
    boolean viaGateway = job.route() == Route.GATEWAY && gateway != null;
    String routerNamespace = job.ingressNamespace(viaGateway ? gateway.proxyNamespace() : defaults.ingressNamespace());
    NetworkPolicyPeer ingressPods = peer(Map.of(NAMESPACE_NAME_LABEL, routerNamespace),
        viaGateway ? gateway.proxyPodLabels() : INGRESS_POD_LABELS);
    NetworkPolicyPeer dnsPods = peer(Map.of(NAMESPACE_NAME_LABEL, DNS_NAMESPACE), DNS_POD_LABELS);
    List<NetworkPolicyPeer> toIngress = new ArrayList<>(List.of(ingressPods));
    if (ingressAddress != null) {
      String cidr = ingressAddress.contains(":") ? ingressAddress + "/128" : ingressAddress + "/32";
      toIngress.add(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build());
    }
    List<NetworkPolicyIngressRule> in = new ArrayList<>();
    in.add(new NetworkPolicyIngressRuleBuilder().withFrom(ingressPods).withPorts(port("TCP", PeerModel.routedPort(job))).build());
    if (controllerNamespace != null && job.role() == dev.flotilla.controller.api.Role.SERVER && job.usesFlotillaRuntime()
        && job.tlsMode() == dev.flotilla.controller.api.TlsMode.PASSTHROUGH) {
      in.add(new NetworkPolicyIngressRuleBuilder()
          .withFrom(peer(Map.of(NAMESPACE_NAME_LABEL, controllerNamespace), CONTROLLER_POD_LABELS))
          .withPorts(port("TCP", job.grpcPort()))
          .build());
    }
    in.addAll(peerMeshIngress(job));
    if (job.metricsPort() > 0) {
      in.add(new NetworkPolicyIngressRuleBuilder()
          .withFrom(peer(defaults.scraperNamespaceLabels(), defaults.scraperPodLabels()))
          .withPorts(port("TCP", job.metricsPort()))
          .build());
    }
    if (job.bulkPort() > 0) {
      // the bulk-upload port comes through the same router as the gRPC port, by its second name
      in.add(new NetworkPolicyIngressRuleBuilder().withFrom(ingressPods).withPorts(port("TCP", job.bulkPort())).build());
    }
    NetworkPolicyEgressRule dns = new NetworkPolicyEgressRuleBuilder()
        .withTo(dnsPods)
        .withPorts(port("UDP", 53), port("TCP", 53))
        .build();
    NetworkPolicyEgressRule ingress = new NetworkPolicyEgressRuleBuilder()
        .withTo(toIngress)
        .withPorts(port("TCP", 443), port("TCP", 80))
        .build();
    return new NetworkPolicyBuilder()
        .withNewMetadata()
        .withName(job.networkPolicyName())
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withOwnerReferences(job.ownerReference())
        .endMetadata()
        .withNewSpec()
        .withPodSelector(new LabelSelectorBuilder().withMatchLabels(job.selectorLabels()).build())
        .withPolicyTypes("Ingress", "Egress")
        .withIngress(in)
        .withEgress(egress(dns, ingress, job))
        .endSpec()
        .build();
  }

  /**
   * The peer mesh, in: a party's peer port to the other parties of its federation job, and an
   * aggregator's gRPC port to its parties, connected directly (pods of the namespace labelled by {@link PeerModel}).
   */
  private static List<NetworkPolicyIngressRule> peerMeshIngress(JobModel job) {
    if (!PeerModel.enabled(job)) {
      return List.of();
    }
    NetworkPolicyPeer parties = new NetworkPolicyPeerBuilder()
        .withPodSelector(PeerModel.podsOf(job, dev.flotilla.controller.api.Role.CLIENT)).build();
    int port = job.role() == dev.flotilla.controller.api.Role.CLIENT ? PeerModel.port(job) : job.grpcPort();
    return List.of(new NetworkPolicyIngressRuleBuilder().withFrom(parties).withPorts(port("TCP", port)).build());
  }

  /**
   * Out: DNS and the ingress controller; for a party in the peer mesh also the other parties of its
   * federation job on their peer port and its aggregator's pod, connected directly. The party's job
   * does not know the port the aggregator's job chose, so that rule names the pod, not a port.
   */
  private static List<NetworkPolicyEgressRule> egress(NetworkPolicyEgressRule dns, NetworkPolicyEgressRule ingress,
      JobModel job) {
    List<NetworkPolicyEgressRule> out = new ArrayList<>(List.of(dns, ingress));
    if (PeerModel.servesEndpoint(job)) {
      out.add(new NetworkPolicyEgressRuleBuilder()
          .withTo(new NetworkPolicyPeerBuilder().withPodSelector(PeerModel.podsOf(job, dev.flotilla.controller.api.Role.CLIENT)).build())
          .withPorts(port("TCP", PeerModel.port(job)))
          .build());
      out.add(new NetworkPolicyEgressRuleBuilder()
          .withTo(new NetworkPolicyPeerBuilder().withPodSelector(PeerModel.podsOf(job, dev.flotilla.controller.api.Role.SERVER)).build())
          .build());
    }
    return out;
  }

  /** Pods matching {@code podLabels} (any pod when empty) in namespaces matching {@code namespaceLabels}. */
  private static NetworkPolicyPeer peer(Map<String, String> namespaceLabels, Map<String, String> podLabels) {
    LabelSelector namespaces = new LabelSelectorBuilder().withMatchLabels(new TreeMap<>(namespaceLabels)).build();
    NetworkPolicyPeerBuilder peer = new NetworkPolicyPeerBuilder().withNamespaceSelector(namespaces);
    if (!podLabels.isEmpty()) {
      peer.withPodSelector(new LabelSelectorBuilder().withMatchLabels(new TreeMap<>(podLabels)).build());
    }
    return peer.build();
  }

  private static NetworkPolicyPort port(String protocol, int port) {
    return new NetworkPolicyPortBuilder().withProtocol(protocol).withPort(new IntOrString(port)).build();
  }
}
