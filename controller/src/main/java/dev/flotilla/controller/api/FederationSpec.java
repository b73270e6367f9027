package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** {@code Federation.spec}: the trust domain and its members. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FederationSpec {

  @Required
  @Size(max = 253)
  @JsonPropertyDescription("The federation's trust domain: jobs are <job>.server.<domain> and <job>.<party>.party.<domain>.")
  private String domain;

  @Required
  @Size(min = 1, max = 64)
  @JsonPropertyDescription("The members: exactly one coordinator, and the parties.")
  private List<Member> members = new ArrayList<>();

  public String getDomain() {
    return domain;
  }

  public void setDomain(String domain) {
    this.domain = domain;
  }

  public List<Member> getMembers() {
    return members;
  }

  public void setMembers(List<Member> members) {
    this.members = members;
  }

  /** One organisation of the federation. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Member {
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    @JsonPropertyDescription("The organisation's name, a DNS label: a party's name in <job>.<name>.party.<domain>.")
    private String name;

    @Required
    @Pattern("^(coordinator|party)$")
    @JsonPropertyDescription("coordinator (runs the aggregators: *.server.<domain> answers its address) or party.")
    private String role;

    @Size(max = 45)
    @JsonPropertyDescription("The public address (an IP) of the member's ingress or Gateway, where its hosts are reached. "
        + "Required unless addressFrom names where the coordinator's address is published.")
    private String address;

    @JsonPropertyDescription("The coordinator only, instead of address: the Gateway (its status.addresses) or Ingress (its "
        + "status.loadBalancer) in the coordinator's own cluster that publishes its public address; read there each time "
        + "the members are served, so a changed status reaches every member.")
    private AddressFrom addressFrom;

    @Size(max = 65536)
    @JsonPropertyDescription("PEM CA certificates the member's certificates chain to; they join every member's trust bundle.")
    private String trustBundle;

    public Member() {}

    public Member(String name, String role, String address, String trustBundle) {
      this.name = name;
      this.role = role;
      this.address = address;
      this.trustBundle = trustBundle;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getRole() {
      return role;
    }

    public void setRole(String role) {
      this.role = role;
    }

    public String getAddress() {
      return address;
    }

    public void setAddress(String address) {
      this.address = address;
    }

    public AddressFrom getAddressFrom() {
      return addressFrom;
    }

    public void setAddressFrom(AddressFrom addressFrom) {
      this.addressFrom = addressFrom;
    }

    public String getTrustBundle() {
      return trustBundle;
    }

    public void setTrustBundle(String trustBundle) {
      this.trustBundle = trustBundle;
    }
  }

  /** Where a member's address is published: a Gateway or an Ingress of its own cluster. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class AddressFrom {
    public static final String GATEWAY = "Gateway";
    public static final String INGRESS = "Ingress";

    @Required
    @Pattern("^(Gateway|Ingress)$")
    @JsonPropertyDescription("Gateway (gateway.networking.k8s.io) or Ingress (networking.k8s.io).")
    private String kind;

    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    @JsonPropertyDescription("Its namespace.")
    private String namespace;

    @Required
    @Size(max = 253)
    @JsonPropertyDescription("Its name.")
    private String name;

    public AddressFrom() {}

    public AddressFrom(String kind, String namespace, String name) {
      this.kind = kind;
      this.namespace = namespace;
      this.name = name;
    }

    public String getKind() {
      return kind;
    }

    public void setKind(String kind) {
      this.kind = kind;
    }

    public String getNamespace() {
      return namespace;
    }

    public void setNamespace(String namespace) {
      this.namespace = namespace;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return kind + " " + namespace + "/" + name;
    }
  }
}
