package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How connections from outside the cluster reach the job's Service. */
public enum Route {
  /** An Ingress for ingress-nginx (SSL passthrough or TLS termination); the default. */
  @JsonProperty("ingress")
  INGRESS,
  /** A Gateway API TLSRoute attached to the controller's Gateway listener in TLS passthrough mode. */
  @JsonProperty("gateway")
  GATEWAY;

  public String wireName() {
    return this == INGRESS ? "ingress" : "gateway";
  }
}
