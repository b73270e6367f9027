package dev.flotilla.controller.federation;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.dns.FederationHost;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where a party's pod dials the other parties of its job when they live in other organisations' clusters:
 * {@code <job>.<member>.party.<domain>} at each other party member's address (its organisation's ingress)
 * in the Federation of the job's domain, the same addresses {@link FederationRoutesModel#records} gives
 * {@code *.<member>.party.<domain>} in CoreDNS. For clusters whose pods have no CoreDNS
 * ({@code --pod-host-aliases}), so that the party-to-party channel reaches its peers. The Federation
 * chosen is {@link CoordinatorAddress}'s (the first whole one of the domain by namespace and name). Pure.
 */
public final class PeerHostAddresses {

  private PeerHostAddresses() {}

  /**
   * The other party members' hosts of {@code party}'s job, host to address, sorted; empty when no whole
   * Federation of its domain is among {@code federations} (in a whole one every party member has an address).
   */
  public static SortedMap<String, String> of(FederationHost party, Collection<Federation> federations) {
    SortedMap<String, String> peers = new TreeMap<>();
    first(party.domain(), federations).ifPresent(spec -> {
      for (FederationSpec.Member m : spec.getMembers()) {
        if (FederationRoutesModel.PARTY.equals(m.getRole()) && !m.getName().equals(party.party())) {
          peers.put(party.job() + "." + m.getName() + ".party." + spec.getDomain(), m.getAddress());
        }
      }
    });
    return peers;
  }

  private static Optional<FederationSpec> first(String domain, Collection<Federation> federations) {
    return federations.stream()
        .filter(f -> f.getSpec() != null && domain.equals(f.getSpec().getDomain()) && CoordinatorAddress.whole(f.getSpec()))
        .min(Comparator.comparing((Federation f) -> f.getMetadata().getNamespace()).thenComparing(f -> f.getMetadata().getName()))
        .map(Federation::getSpec);
  }
}
