package dev.flotilla.controller.federation;

import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * Where a party's pods dial {@code <job>.server.<domain>} when the aggregator lives in another
 * organisation's cluster: the address of the coordinator member of the Federation of that domain, the
 * same address {@link FederationRoutesModel#records} gives {@code *.server.<domain>} in CoreDNS. A party
 * organisation's cluster holds the coordinator's member list as a mirrored Federation (the join
 * controller's {@code FederationMirror}), so an edit of the coordinator's address there is what moves
 * it. Pure.
 */
public final class CoordinatorAddress {

  private CoordinatorAddress() {}

  /**
   * The coordinator's address for {@code domain} among {@code federations}; empty when none is of that
   * domain, the coordinator's address is not known yet ({@code addressFrom} with nothing published) or
   * the federation is not whole (refused as a whole, as its DNS records are). Two whole federations of one
   * domain (a cluster may hold its own and a mirror) answer the first by namespace and name.
   */
  public static Optional<String> of(String domain, Collection<Federation> federations) {
    return federations.stream()
        .filter(f -> f.getSpec() != null && domain.equals(f.getSpec().getDomain()) && whole(f.getSpec()))
        .sorted(Comparator.comparing((Federation f) -> f.getMetadata().getNamespace())
            .thenComparing(f -> f.getMetadata().getName()))
        .flatMap(f -> f.getSpec().getMembers().stream())
        .filter(m -> FederationRoutesModel.COORDINATOR.equals(m.getRole()) && m.getAddress() != null)
        .map(FederationSpec.Member::getAddress)
        .findFirst();
  }

  static boolean whole(FederationSpec spec) {
    try {
      FederationRoutesModel.check(spec);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
