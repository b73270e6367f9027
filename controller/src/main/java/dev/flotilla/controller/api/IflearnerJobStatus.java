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

  @JsonPropertyDescription("Pending (no pod yet, or its containers are not running: PodReady says why), Running, "
      + "Succeeded (the pod ended with exit 0; for a Flotilla aggregator also with all its rounds), Failed (the pod "
      + "failed for good, or the aggregator ended without finishing), Error (reconciling failed), Refused (not served).")
  private String phase;

  @JsonPropertyDescription("A placed job (--placement ocm|karmada): each member cluster the engine chose, with the job's "
      + "phase there as the engine reports it back (OCM: the work's status feedback; Karmada: the ResourceBinding's "
      + "aggregatedStatus).")
  private List<MemberStatus> members;

  @JsonPropertyDescription("The metadata.generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("HostAccepted, PrivacyAccepted (with spec.privacy), VirtualPartiesAccepted (with virtual parties), CertificatesReady, DNSReady, ServiceReady, IngressReady, NetworkPolicyReady, PodReady.")
  private List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Where peers reach the job: host:443 through the ingress.")
  private String endpoint;

  @JsonPropertyDescription("The TLS mode in effect (spec.tls.mode or its default).")
  private String tlsMode;

  @JsonPropertyDescription("Rounds completed, as the Flotilla aggregator reported.")
  private Integer round;

  @JsonPropertyDescription("Rounds the job runs, as the Flotilla aggregator reported.")
  private Integer rounds;

  @JsonPropertyDescription("Parties connected to the aggregator when it last reported.")
  private Integer partiesConnected;

  @JsonPropertyDescription("Parties the aggregator expects (its slots).")
  private Integer partiesExpected;

  @JsonPropertyDescription("Accuracy of the newest global model the parties reported, in [0, 1].")
  private Double accuracy;

  @JsonPropertyDescription("Loss of the newest evaluated global model the parties reported.")
  private Double loss;

  @JsonPropertyDescription("Sample-weighted accuracy of the final model's evaluations, once the job finished.")
  private Double finalAccuracy;

  @JsonPropertyDescription("When the last round completed (RFC 3339).")
  private String lastRoundTime;

  @JsonPropertyDescription("Differential-privacy epsilon the completed rounds have spent (jobs with spec.privacy).")
  private Double epsilonSpent;

  @JsonPropertyDescription("Why the aggregator ended the job before its last round (e.g. its privacy budget).")
  private String endReason;

  @JsonPropertyDescription("A client job with spec.virtualPartyPods: how many of its party pods are ready.")
  private Integer podsReady;

  @JsonPropertyDescription("A client job with spec.virtualPartyPods: how many party pods it has (spec.virtualPartyPods).")
  private Integer podsTotal;

  @JsonPropertyDescription("A client job the controller serves: the pod names (pod/<name>) and party hosts "
      + "(host/<name>) it holds. Of two jobs claiming one name, the one holding it (status.claimsProof) keeps it, whoever "
      + "was created first or scaled later; a refused job holds none (an empty list once it held some).")
  private List<String> claims;

  @JsonPropertyDescription("The controller's proof that it wrote status.claims: when it granted them and a MAC under its "
      + "own key. Claims without a valid proof hold nothing, so editing the status cannot take another job's name.")
  private String claimsProof;

  public String getClaimsProof() {
    return claimsProof;
  }

  public void setClaimsProof(String claimsProof) {
    this.claimsProof = claimsProof;
  }

  public List<String> getClaims() {
    return claims;
  }

  public void setClaims(List<String> claims) {
    this.claims = claims;
  }

  public Integer getPodsReady() {
    return podsReady;
  }

  public void setPodsReady(Integer podsReady) {
    this.podsReady = podsReady;
  }

  public Integer getPodsTotal() {
    return podsTotal;
  }

  public void setPodsTotal(Integer podsTotal) {
    this.podsTotal = podsTotal;
  }

  public Double getEpsilonSpent() {
    return epsilonSpent;
  }

  public void setEpsilonSpent(Double epsilonSpent) {
    this.epsilonSpent = epsilonSpent;
  }

  public String getEndReason() {
    return endReason;
  }

  public void setEndReason(String endReason) {
    this.endReason = endReason;
  }

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

  public Integer getRounds() {
    return rounds;
  }

  public void setRounds(Integer rounds) {
    this.rounds = rounds;
  }

  public Integer getPartiesConnected() {
    return partiesConnected;
  }

  public void setPartiesConnected(Integer partiesConnected) {
    this.partiesConnected = partiesConnected;
  }

  public Integer getPartiesExpected() {
    return partiesExpected;
  }

  public void setPartiesExpected(Integer partiesExpected) {
    this.partiesExpected = partiesExpected;
  }

  public Double getAccuracy() {
    return accuracy;
  }

  public void setAccuracy(Double accuracy) {
    this.accuracy = accuracy;
  }

  public Double getLoss() {
    return loss;
  }

  public void setLoss(Double loss) {
    this.loss = loss;
  }

  public Double getFinalAccuracy() {
    return finalAccuracy;
  }

  public void setFinalAccuracy(Double finalAccuracy) {
    this.finalAccuracy = finalAccuracy;
  }

  public String getLastRoundTime() {
    return lastRoundTime;
  }

  public void setLastRoundTime(String lastRoundTime) {
    this.lastRoundTime = lastRoundTime;
  }

  public List<MemberStatus> getMembers() {
    return members;
  }

  public void setMembers(List<MemberStatus> members) {
    this.members = members;
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
        && Objects.equals(tlsMode, s.tlsMode) && Objects.equals(round, s.round) && Objects.equals(rounds, s.rounds)
        && Objects.equals(partiesConnected, s.partiesConnected) && Objects.equals(partiesExpected, s.partiesExpected)
        && Objects.equals(accuracy, s.accuracy) && Objects.equals(loss, s.loss)
        && Objects.equals(finalAccuracy, s.finalAccuracy) && Objects.equals(lastRoundTime, s.lastRoundTime)
        && Objects.equals(epsilonSpent, s.epsilonSpent) && Objects.equals(endReason, s.endReason)
        && Objects.equals(members, s.members) && Objects.equals(podsReady, s.podsReady)
        && Objects.equals(podsTotal, s.podsTotal) && Objects.equals(claims, s.claims)
        && Objects.equals(claimsProof, s.claimsProof);
  }

  @Override
  public int hashCode() {
    return Objects.hash(phase, observedGeneration, conditions, endpoint, tlsMode, round, rounds, partiesConnected,
        partiesExpected, accuracy, loss, finalAccuracy, lastRoundTime, epsilonSpent, endReason, members, podsReady, podsTotal, claims,
        claimsProof);
  }
}
