package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** {@code spec.dns}: the CoreDNS template records that make {@code spec.host} resolve to the ingress. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DnsSpec {

  @JsonPropertyDescription("Publish CoreDNS records for the host (default true).")
  private Boolean enabled;

  @Size(max = 45)
  @JsonPropertyDescription("Address the record answers with, honoured only in namespaces where the controller allows it "
      + "(--allow-ingress-address-override, --ingress-address-override-namespace); elsewhere the controller's "
      + "--ingress-address (else the address in the job's Ingress status) is used and the job's DNSReady condition says so.")
  private String ingressAddress;

  public DnsSpec() {}

  public DnsSpec(Boolean enabled, String ingressAddress) {
    this.enabled = enabled;
    this.ingressAddress = ingressAddress;
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public String getIngressAddress() {
    return ingressAddress;
  }

  public void setIngressAddress(String ingressAddress) {
    this.ingressAddress = ingressAddress;
  }
}
