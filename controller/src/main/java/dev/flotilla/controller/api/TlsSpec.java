package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** {@code spec.tls}: how the job's endpoint speaks TLS. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsSpec {

  @JsonPropertyDescription("passthrough (TLS ends in the pod, mutual TLS identities reach the runtime) or terminate "
      + "(TLS ends at ingress-nginx, which speaks gRPC to the pod). When absent: passthrough for Flotilla runtime "
      + "images, terminate for any other image (what iflearner-operator did).")
  private TlsMode mode;

  @JsonPropertyDescription("Certificate lifetime in days (default 90); the certificate is renewed when a third of it is left.")
  private Integer validityDays;

  public TlsSpec() {}

  public TlsSpec(TlsMode mode) {
    this.mode = mode;
  }

  public TlsMode getMode() {
    return mode;
  }

  public void setMode(TlsMode mode) {
    this.mode = mode;
  }

  public Integer getValidityDays() {
    return validityDays;
  }

  public void setValidityDays(Integer validityDays) {
    this.validityDays = validityDays;
  }
}
