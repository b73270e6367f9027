package dev.flotilla.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.api.FederationSpec.AddressFrom;
import dev.flotilla.controller.api.FederationSpec.Member;
import dev.flotilla.dns.DnsRecord;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("MemberAddresses: the coordinator's address read from its Gateway's or Ingress's status")
class MemberAddressesTest {
  static final AddressFrom GATEWAY = new AddressFrom("Gateway", "gateway-system", "public");
  static final AddressFrom INGRESS = new AddressFrom("Ingress", "ingress-nginx", "public");

  static FederationSpec spec(AddressFrom from) {
    Member coordinator = new Member("coord", "coordinator", null, null);
    coordinator.setAddressFrom(from);
    FederationSpec spec = new FederationSpec();
    spec.setDomain("fl.example.org");
    spec.setMembers(new ArrayList<>(List.of(coordinator, new Member("alice", "party", "198.51.100.21", null),
        new Member("bob", "party", "198.51.100.22", null))));
    return spec;
  }

  static Gateway gateway(String... typeValue) {
    GatewayBuilder b = new GatewayBuilder().withNewMetadata().withName("public").withNamespace("gateway-system").endMetadata()
        .withNewStatus().endStatus();
    Gateway g = b.build();
    List<io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress> addresses = new ArrayList<>();
    for (int i = 0; i < typeValue.length; i += 2) {
      addresses.add(new io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress(typeValue[i], typeValue[i + 1]));
    }
    g.getStatus().setAddresses(addresses);
    return g;
  }

  static Ingress ingress(String... ipOrHostname) {
    IngressBuilder b = new IngressBuilder().withNewMetadata().withName("public").withNamespace("ingress-nginx").endMetadata()
        .withNewStatus().withNewLoadBalancer().endLoadBalancer().endStatus();
    Ingress i = b.build();
    List<io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress> lbs = new ArrayList<>();
    for (String v : ipOrHostname) {
      var lb = new io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress();
      if (v.matches("[0-9a-f.:]+")) {
        lb.setIp(v);
      } else {
        lb.setHostname(v);
      }
      lbs.add(lb);
    }
    i.getStatus().getLoadBalancer().setIngress(lbs);
    return i;
  }

  @Test
  @DisplayName("a Gateway's first IP address (type IPAddress or none) is the address; a hostname is skipped; no status gives none")
  void fromGateway() {
    assertThat(MemberAddresses.published(gateway("Hostname", "gw.example.org", "IPAddress", "203.0.113.7"))).isEqualTo("203.0.113.7");
    assertThat(MemberAddresses.published(gateway(null, "2001:db8::7"))).isEqualTo("2001:db8::7");
    assertThat(MemberAddresses.published(gateway("Hostname", "gw.example.org"))).isNull();
    assertThat(MemberAddresses.published((Gateway) null)).isNull();
  }

  @Test
  @DisplayName("an Ingress's first status.loadBalancer IP is the address; hostnames and garbage are skipped; no status gives none")
  void fromIngress() {
    assertThat(MemberAddresses.published(ingress("lb.example.org", "203.0.113.8"))).isEqualTo("203.0.113.8");
    assertThat(MemberAddresses.published(ingress("999.1.1.1", "198.51.100.9"))).isEqualTo("198.51.100.9");
    assertThat(MemberAddresses.published(ingress("lb.example.org"))).isNull();
    assertThat(MemberAddresses.published(new IngressBuilder().withNewMetadata().withName("x").endMetadata().build())).isNull();
    assertThat(MemberAddresses.published((Ingress) null)).isNull();
  }

  @Test
  @DisplayName("resolved: the coordinator gets the published address in place of addressFrom (kept while nothing is published); the original is untouched")
  void resolve() {
    FederationSpec spec = spec(GATEWAY);
    List<String> asked = new ArrayList<>();
    FederationSpec resolved = MemberAddresses.resolve(spec, from -> {
      asked.add(from.toString());
      return null;
    });
    assertThat(asked).as("only the member naming addressFrom is looked up").containsExactly("Gateway gateway-system/public");
    assertThat(resolved.getMembers().get(0).getAddress()).as("not published yet").isNull();
    assertThat(resolved.getMembers().get(0).getAddressFrom()).as("still says where it will come from").isNotNull();
    resolved = MemberAddresses.resolve(spec, from -> from.toString().equals("Gateway gateway-system/public") ? "203.0.113.7" : null);
    assertThat(resolved.getMembers().get(0).getAddress()).isEqualTo("203.0.113.7");
    assertThat(resolved.getMembers().get(0).getAddressFrom()).isNull();
    assertThat(resolved.getMembers().get(1).getAddress()).isEqualTo("198.51.100.21");
    assertThat(spec.getMembers().get(0).getAddressFrom()).isNotNull();
    assertThat(spec.getMembers().get(0).getAddress()).isNull();
  }

  @Test
  @DisplayName("records: the coordinator's record once published, none before (the parties' records still made); addressFrom on a party, or no "
      + "address at all, is refused naming the member")
  void records() {
    FederationSpec unresolved = MemberAddresses.resolve(spec(INGRESS), from -> null);
    assertThat(FederationRoutesModel.records(unresolved, "alice")).containsExactly(DnsRecord.of("*.bob.party.fl.example.org", "198.51.100.22"));
    FederationSpec resolved = MemberAddresses.resolve(spec(INGRESS), from -> "203.0.113.8");
    assertThat(FederationRoutesModel.records(resolved, "alice")).containsExactly(
        DnsRecord.of("*.bob.party.fl.example.org", "198.51.100.22"), DnsRecord.of("*.server.fl.example.org", "203.0.113.8"));
    assertThat(FederationRoutesModel.records(spec(GATEWAY), "coord")).hasSize(2);

    FederationSpec partyFrom = spec(GATEWAY);
    partyFrom.getMembers().get(1).setAddressFrom(INGRESS);
    assertThatThrownBy(() -> FederationRoutesModel.records(partyFrom, "coord")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("member alice names addressFrom; only the coordinator may (its cluster reads it), a party gives its address");
    FederationSpec none = spec(null);
    assertThatThrownBy(() -> FederationRoutesModel.records(none, "alice")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("member coord has neither address nor addressFrom");
  }
}
