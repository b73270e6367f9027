package dev.flotilla.clusters;

import com.pulumi.Context;
import com.pulumi.core.Output;
import com.pulumi.gcp.compute.Address;
import com.pulumi.gcp.compute.AddressArgs;
import com.pulumi.gcp.container.Cluster;
import com.pulumi.gcp.container.ClusterArgs;
import com.pulumi.gcp.container.NodePool;
import com.pulumi.gcp.container.NodePoolArgs;
import com.pulumi.gcp.container.inputs.NodePoolNodeConfigArgs;
import com.pulumi.gcp.dns.RecordSet;
import com.pulumi.gcp.dns.RecordSetArgs;
import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.ProviderArgs;
import com.pulumi.kubernetes.core.v1.Namespace;
import com.pulumi.kubernetes.core.v1.NamespaceArgs;
import com.pulumi.kubernetes.helm.v3.Release;
import com.pulumi.kubernetes.helm.v3.ReleaseArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.CustomResourceOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The federation's resources: per organisation a regional external address for its ingress, a GKE cluster with its
 * own node pool, a Kubernetes provider on that cluster, the job namespace, the Flotilla chart, a DNS record; then in
 * every cluster the same Federation resource naming every member and its address. Values come from
 * {@link FederationValues}; this class only wires GCP's outputs into them.
 */
public final class FederationStack {

  static final String NODE_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

  private FederationStack() {}

  /** Declares everything in {@code ctx}; exports each organisation's ingress address and cluster endpoint. */
  public static void define(Context ctx, FederationSpec spec) {
    Map<String, Output<String>> addresses = new LinkedHashMap<>();
    Map<String, Provider> providers = new LinkedHashMap<>();
    Map<String, Release> releases = new LinkedHashMap<>();
    for (Organisation org : spec.organisations()) {
      Address address = new Address(org.name() + "-ingress", AddressArgs.builder()
          .project(spec.project())
          .region(org.region())
          .addressType("EXTERNAL")
          .build());
      addresses.put(org.name(), address.address());

      Cluster cluster = new Cluster(org.name(), ClusterArgs.builder()
          .project(spec.project())
          .name(org.name())
          .location(org.region())
          // the node pool is a resource of its own, so its size can change without replacing the cluster
          .removeDefaultNodePool(true)
          .initialNodeCount(1)
          .build());
      NodePool pool = new NodePool(org.name() + "-pool", NodePoolArgs.builder()
          .project(spec.project())
          .cluster(cluster.name())
          .location(org.region())
          .nodeCount(org.nodeCount())
          .nodeConfig(NodePoolNodeConfigArgs.builder().machineType(org.machineType()).oauthScopes(NODE_SCOPE).build())
          .build());

      Output<String> kubeconfig = Output.tuple(cluster.name(), cluster.endpoint(), cluster.masterAuth())
          .applyValue(t -> Kubeconfigs.gke(t.t1, t.t2, t.t3.clusterCaCertificate().orElse("")));
      Provider provider = new Provider(org.name() + "-k8s", ProviderArgs.builder().kubeconfig(kubeconfig).build(),
          CustomResourceOptions.builder().dependsOn(pool).build());
      providers.put(org.name(), provider);

      Namespace jobs = new Namespace(org.name() + "-jobs", NamespaceArgs.builder()
          .metadata(ObjectMetaArgs.builder().name(spec.jobNamespace()).build())
          .build(), CustomResourceOptions.builder().provider(provider).build());
      releases.put(org.name(), new Release(org.name() + "-flotilla", ReleaseArgs.builder()
          .name("flotilla")
          .chart(spec.chart())
          .namespace(FederationValues.CONTROLLER_NAMESPACE)
          .createNamespace(true)
          .values(address.address().applyValue(ip -> FederationValues.chartValues(spec, org, ip)))
          .build(), CustomResourceOptions.builder().provider(provider).dependsOn(jobs).build()));

      new RecordSet(org.name() + "-dns", RecordSetArgs.builder()
          .project(spec.project())
          .managedZone(spec.dnsZone())
          .name(FederationValues.dnsName(spec, org))
          .type("A")
          .ttl(FederationValues.DNS_TTL_SECONDS)
          .rrdatas(address.address().applyValue(List::of))
          .build());
      ctx.export(org.name() + "-endpoint", cluster.endpoint());
    }

    List<String> names = new ArrayList<>(addresses.keySet());
    Output<Map<String, Object>> federation = Output.all(new ArrayList<>(addresses.values())).applyValue(ips -> {
      Map<String, String> byName = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        byName.put(names.get(i), ips.get(i));
      }
      return FederationValues.federationSpec(spec, byName);
    });
    Map<String, Object> metadata = Map.of("name", "federation", "namespace", FederationValues.CONTROLLER_NAMESPACE);
    for (Organisation org : spec.organisations()) {
      new KubernetesObject(org.name() + "-federation", FederationValues.FEDERATION_API_VERSION,
          FederationValues.FEDERATION_KIND, metadata, federation, CustomResourceOptions.builder()
              .provider(providers.get(org.name())).dependsOn(releases.get(org.name())).build());
    }
    ctx.export("ingressAddresses", Output.all(new ArrayList<>(addresses.values())));
  }
}
