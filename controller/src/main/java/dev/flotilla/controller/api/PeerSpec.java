package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * {@code spec.peer}: the party-to-party channel. On a client (a Flotilla party in passthrough mode)
 * the party serves its peer endpoint, reached as its own host through the job's route; on a server it
 * asks the parties to check their peers every round. Off unless given.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PeerSpec {

  @JsonPropertyDescription("Serve (client) or use (server) the peer channel (default true when spec.peer is given).")
  private Boolean enabled;

  @Min(1)
  @Max(65535)
  @JsonPropertyDescription("Port of the party's peer endpoint in the pod (client role; default 50002).")
  private Integer port;

  public PeerSpec() {}

  public PeerSpec(Boolean enabled, Integer port) {
    this.enabled = enabled;
    this.port = port;
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public Integer getPort() {
    return port;
  }

  public void setPort(Integer port) {
    this.port = port;
  }
}
