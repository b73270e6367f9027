package dev.flotilla.controller.federation;

import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.model.GatewayModel;
import dev.flotilla.dns.DnsRecord;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.function.Function;

/**
 * The coordinator's address where its Federation member names a Gateway or an Ingress instead of an IP
 * ({@code addressFrom}), read from that object's status as the gateway or ingress controller publishes it.
 * Pure: the objects come from a lookup. The coordinator serves the members resolved ({@link #resolve}), so
 * the party clusters only ever see IPs, and see the status as it is at each refresh.
 */
public final class MemberAddresses {
  private MemberAddresses() {}

  /**
   * A copy of {@code spec} in which every member naming {@code addressFrom} has the address {@code published}
   * gives for it instead; one whose object has published none yet keeps {@code addressFrom} and no address
   * (it gets no DNS record; party clusters never read {@code addressFrom} themselves). Other members as they are.
   */
  public static FederationSpec resolve(FederationSpec spec, Function<FederationSpec.AddressFrom, String> published) {
    FederationSpec copy = Serialization.clone(spec);
    for (FederationSpec.Member m : copy.getMembers()) {
      if (m.getAddressFrom() != null) {
        String address = published.apply(m.getAddressFrom());
        m.setAddress(address);
        if (address != null) {
          m.setAddressFrom(null);
        }
      }
    }
    return copy;
  }

  /** The first IP a Gateway's status.addresses holds ({@link GatewayModel#statusAddress}), or null. */
  public static String published(Gateway gateway) {
    return GatewayModel.statusAddress(gateway);
  }

  /** The first IP in an Ingress's status.loadBalancer.ingress, or null (hostnames are skipped: a DNS A record needs an IP). */
  public static String published(Ingress ingress) {
    if (ingress == null || ingress.getStatus() == null || ingress.getStatus().getLoadBalancer() == null
        || ingress.getStatus().getLoadBalancer().getIngress() == null) {
      return null;
    }
    for (IngressLoadBalancerIngress lb : ingress.getStatus().getLoadBalancer().getIngress()) {
      if (isIp(lb.getIp())) {
        return lb.getIp();
      }
    }
    return null;
  }

  private static boolean isIp(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return false;
    }
    try {
      DnsRecord.of("probe.invalid", text);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
