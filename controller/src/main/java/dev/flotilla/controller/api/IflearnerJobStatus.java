package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** {@code status}, written by the controller through the status subresource only when it changes. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IflearnerJobStatus {

  @JsonPropertyDescription("Pending, Running, Succeeded or Failed (the pod's phase), or Error when reconciling failed.")
  private String phase;

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("CertificatesReady, DNSReady, IngressReady, PodReady.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Where peers reach the job: host:443 through the ingress.")
  private String endpoint;

  @JsonPropertyDescription("The TLS mode in effect (spec.tls.mode or its default).")
  private String tlsMode;

  @JsonPropertyDescription("Learning round reported by the runtime, once known.")
  private Integer round;

  public String getPhase() {
    return phase;
  }

  public void setPhase(String phase) {
    this.phase = phase;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getTlsMode() {
    return tlsMode;
  }

  public void setTlsMode(String tlsMode) {
    this.tlsMode = tlsMode;
  }

  public Integer getRound() {
    return round;
  }

  public void setRound(Integer round) {
    this.round = round;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof IflearnerJobStatus)) {
      return false;
    }
    IflearnerJobStatus s = (IflearnerJobStatus) o;
    return Objects.equals(phase, s.phase) && Objects.equals(observedGeneration, s.observedGeneration)
        && Objects.equals(conditions, s.conditions) && Objects.equals(endpoint, s.endpoint)
        && Objects.equals(tlsMode, s.tlsMode) && Objects.equals(round, s.round);
  }

  @Override
  public int hashCode() {
    return Objects.hash(phase, observedGeneration, conditions, endpoint, tlsMode, round);
  }
}
