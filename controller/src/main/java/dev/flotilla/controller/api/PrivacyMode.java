package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where DP noise is added: at the aggregator, or by the parties in shares under secure aggregation. */
public enum PrivacyMode {
  /** The aggregator clips, averages and adds the noise (DP-FedAvg with a trusted aggregator). */
  @JsonProperty("server")
  SERVER,
  /**
   * Each party clips its update and adds its share of the noise before SecAgg+ masks it (the server's
   * {@code --dp-mode distributed}); needs secureAggregation.
   */
  @JsonProperty("distributed")
  DISTRIBUTED
}
