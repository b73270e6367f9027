package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One member cluster's view of a placed job, as the multi-cluster engine reports it back to the hub. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MemberStatus {
  @JsonPropertyDescription("The member cluster (OCM: the ManagedCluster's namespace on the hub; Karmada: the Cluster's name).")
  private String cluster;

  @JsonPropertyDescription("The job's status.phase in that cluster (status feedback), Applied while the work is applied "
      + "but no phase came back yet, Pending before that; Karmada: ApplyFailed when the member refused the job.")
  private String phase;

  @JsonPropertyDescription("Karmada only: the job's health in that cluster as Karmada interprets it (Healthy, Unhealthy, "
      + "Unknown).")
  private String health;

  @JsonPropertyDescription("Karmada only, with phase ApplyFailed: why the member refused the job (at most 256 characters).")
  private String message;

  public MemberStatus() {}

  public MemberStatus(String cluster, String phase) {
    this.cluster = cluster;
    this.phase = phase;
  }

  public String getCluster() {
    return cluster;
  }

  public void setCluster(String cluster) {
    this.cluster = cluster;
  }

  public String getPhase() {
    return phase;
  }

  public void setPhase(String phase) {
    this.phase = phase;
  }

  public String getHealth() {
    return health;
  }

  public void setHealth(String health) {
    this.health = health;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MemberStatus m && Objects.equals(cluster, m.cluster) && Objects.equals(phase, m.phase)
        && Objects.equals(health, m.health) && Objects.equals(message, m.message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(cluster, phase, health, message);
  }

  @Override
  public String toString() {
    return cluster + "=" + phase + (health == null ? "" : " " + health) + (message == null ? "" : " (" + message + ")");
  }
}
