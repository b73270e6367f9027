package dev.flotilla.controller.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * With {@code spec.isolation.enabled}, one NetworkPolicy around the job's pod: in, only the
 * ingress controller's pods on the gRPC port; out, only cluster DNS and the ingress controller
 * (its pods, and its published address when known). Plain Kubernetes objects, enforced by any
 * CNI that implements NetworkPolicy.
 */
public final class NetworkPolicyModel {

  public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
  public static final Map<String, String> INGRESS_POD_LABELS = Map.of("app.kubernetes.io/name", "ingress-nginx");
  public static final Map<String, String> DNS_POD_LABELS = Map.of("k8s-app", "kube-dns");
  public static final String DNS_NAMESPACE = "kube-system";

  private NetworkPolicyModel() {}

  /** The policy, or null when isolation is off. {@code ingressAddress} may be null. */
  public static NetworkPolicy desired(JobModel job, String ingressAddress) {
    if (!job.isolationEnabled()) {
      return null;
    }
    NetworkPolicyPeer ingressPods = peer(job.ingressNamespace(), INGRESS_POD_LABELS);
    NetworkPolicyPeer dnsPods = peer(DNS_NAMESPACE, DNS_POD_LABELS);
    List<NetworkPolicyPeer> toIngress = new ArrayList<>(List.of(ingressPods));
    if (ingressAddress != null) {
      String cidr = ingressAddress.contains(":") ? ingressAddress + "/128" : ingressAddress + "/32";
      toIngress.add(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build());
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
        .addNewIngress()
        .withFrom(ingressPods)
        .withPorts(port("TCP", job.grpcPort()))
        .endIngress()
        .withEgress(dns, ingress)
        .endSpec()
        .build();
  }

  private static NetworkPolicyPeer peer(String namespace, Map<String, String> podLabels) {
    LabelSelector namespaces = new LabelSelectorBuilder().withMatchLabels(Map.of(NAMESPACE_NAME_LABEL, namespace)).build();
    LabelSelector pods = new LabelSelectorBuilder().withMatchLabels(podLabels).build();
    return new NetworkPolicyPeerBuilder().withNamespaceSelector(namespaces).withPodSelector(pods).build();
  }

  private static NetworkPolicyPort port(String protocol, int port) {
    return new NetworkPolicyPortBuilder().withProtocol(protocol).withPort(new IntOrString(port)).build();
  }
}
