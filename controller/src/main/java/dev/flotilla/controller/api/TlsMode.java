package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where TLS ends for traffic that enters through the ingress. */
public enum TlsMode {
  /** nginx routes by SNI and forwards the TLS bytes; the aggregator or party ends mutual TLS itself. */
  @JsonProperty("passthrough")
  PASSTHROUGH,
  /** nginx ends TLS with the job's certificate and speaks gRPC to the pod (iflearner images). */
  @JsonProperty("terminate")
  TERMINATE;

  public String wireName() {
    return this == PASSTHROUGH ? "passthrough" : "terminate";
  }
}
