package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where DP noise is added. Only at the aggregator for now; noise shared among parties needs secure aggregation. */
public enum PrivacyMode {
  /** The aggregator clips, averages and adds the noise (DP-FedAvg with a trusted aggregator). */
  @JsonProperty("server")
  SERVER
}
