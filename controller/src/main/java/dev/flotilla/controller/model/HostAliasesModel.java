package dev.flotilla.controller.model;

import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.FederationHost;
import dev.flotilla.dns.HostRole;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.HostAliasBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The job's DNS records as the pod's {@code hostAliases} (the controller's {@code --pod-host-aliases}),
 * for clusters whose pods cannot resolve the job hosts (no CoreDNS). The records are the ones
 * {@link DnsModel} publishes, so CoreDNS and the pods' /etc/hosts say the same: the job's own host
 * and, for a party, its job's server host {@code <job>.server.<domain>}, the name its runtime dials.
 * Both come from the job alone, never from the other jobs present, so a party joining later changes
 * no pod (hostAliases cannot change in a running pod; a change would replace it). When the aggregator
 * lives in another organisation's cluster, a party's server host points at the coordinator's address
 * from the Federation ({@code CoordinatorAddress}) instead of this cluster's ingress, and a party that
 * serves the peer channel gets the other parties' hosts at their organisations' addresses
 * ({@code PeerHostAddresses}): a party member added to the Federation replaces such a pod.
 */
public final class HostAliasesModel {

  private HostAliasesModel() {}

  /** The aliases, one per address with its host names sorted; empty when DNS is off for the job or the address is unknown. */
  public static List<HostAlias> aliases(JobModel job, String ingressAddress) {
    return aliases(job, ingressAddress, null);
  }

  /**
   * As {@link #aliases(JobModel, String)}, a party's server host pointing at {@code serverAddress} (the
   * coordinator's, from the Federation of the job's domain) when it is not null.
   */
  public static List<HostAlias> aliases(JobModel job, String ingressAddress, String serverAddress) {
    return aliases(job, ingressAddress, serverAddress, Map.of());
  }

  /**
   * As {@link #aliases(JobModel, String, String)}, with {@code peers} (the other parties' hosts to their
   * addresses, from the Federation) for a party that serves the peer channel ({@link PeerModel#servesEndpoint}).
   */
  public static List<HostAlias> aliases(JobModel job, String ingressAddress, String serverAddress, Map<String, String> peers) {
    List<DnsRecord> records = new ArrayList<>(DnsModel.records(job, ingressAddress));
    if (records.isEmpty()) {
      return List.of();
    }
    job.federationHost().filter(h -> h.role() == HostRole.PARTY)
        .ifPresent(h -> records.add(DnsRecord.of(serverHost(h), serverAddress != null ? serverAddress : ingressAddress)));
    if (PeerModel.servesEndpoint(job)) {
      peers.forEach((host, address) -> records.add(DnsRecord.of(host, address)));
    }
    Map<String, TreeSet<String>> byAddress = new TreeMap<>();
    for (DnsRecord r : records) {
      byAddress.computeIfAbsent(r.address(), a -> new TreeSet<>()).add(r.host());
    }
    List<HostAlias> aliases = new ArrayList<>();
    byAddress.forEach((ip, hosts) -> aliases.add(new HostAliasBuilder().withIp(ip).withHostnames(List.copyOf(hosts)).build()));
    return aliases;
  }

  /** The server host of a party's job: {@code <job>.server.<domain>}. */
  static String serverHost(FederationHost party) {
    return party.job() + ".server." + party.domain();
  }
}
