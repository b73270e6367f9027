package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The two roles of horizontal federated learning, spelled as iflearner-operator spells them. */
public enum Role {
  @JsonProperty("server")
  SERVER,
  @JsonProperty("client")
  CLIENT;

  public String wireName() {
    return this == SERVER ? "server" : "client";
  }
}
