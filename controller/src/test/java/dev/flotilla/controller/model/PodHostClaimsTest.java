package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.dns.HostPolicy;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("PodHostClaims: a job whose pod names or party hosts another job of the namespace already claims is refused, naming both")
class PodHostClaimsTest {

  /** A client job of federation job "fashion": party {@code party}, K 2 in {@code pods} pods (null: one plain pod, no virtual parties). */
  static IflearnerJob job(String name, String party, Integer pods, String created) {
    IflearnerJob j = pods == null ? Samples.load("flotilla-fashion-mnist/party-a.yaml", "team") : VirtualPartyPodsModelTest.party(2, pods);
    j.getMetadata().setName(name);
    j.getMetadata().setUid("uid-" + name);
    j.getMetadata().setCreationTimestamp(created);
    j.getSpec().setHost("fashion." + party + ".party.fl.example.org");
    return j;
  }

  static final IflearnerJob STUDY_X = job("study-x", "x", 3, "2026-12-05T10:00:00Z");
  static final IflearnerJob PARTY_X_P1 = job("lab-b", "x-p1", null, "2026-12-05T11:00:00Z");

  /** The controller's key in these tests. */
  static final ClaimProof PROOF = ClaimProof.withKey("0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  static final java.time.Instant GRANTED = java.time.Instant.parse("2026-12-05T12:00:00Z");

  private static Optional<Observation> refusal(IflearnerJob job, IflearnerJob... namespace) {
    return PodHostClaims.refusal(new JobModel(job), List.of(namespace), () -> PROOF);
  }

  @Test
  @DisplayName("party x-p1 created after party x's 3 pods (hosts x-p0..x-p2) is refused with PodHostTaken naming both jobs; x is not")
  void laterPartyRefused() {
    Observation refused = refusal(PARTY_X_P1, STUDY_X, PARTY_X_P1).orElseThrow();
    assertThat(refused.type()).isEqualTo(StatusModel.VIRTUAL_PARTIES_ACCEPTED);
    assertThat(refused.ready()).isFalse();
    assertThat(refused.reason()).isEqualTo(PodHostClaims.TAKEN);
    assertThat(refused.message()).isEqualTo("party host x-p1 of job fashion in fl.example.org is claimed by team/lab-b "
        + "(party x-p1) and by team/study-x (party x, spec.virtualPartyPods 3), created earlier: one name is one pod and "
        + "one identity; rename one job or party, or change spec.virtualPartyPods");
    assertThat(refusal(STUDY_X, STUDY_X, PARTY_X_P1)).isEmpty();
  }

  @Test
  @DisplayName("the other way round: the N-pod job created after party x-p1 is the one refused")
  void laterPodsRefused() {
    IflearnerJob earlyParty = job("lab-b", "x-p1", null, "2026-12-05T09:00:00Z");
    assertThat(refusal(STUDY_X, STUDY_X, earlyParty)).hasValueSatisfying(o -> assertThat(o.message())
        .startsWith("party host x-p1 of job fashion in fl.example.org is claimed by team/study-x (party x, "
            + "spec.virtualPartyPods 3) and by team/lab-b (party x-p1), created earlier"));
    assertThat(refusal(earlyParty, STUDY_X, earlyParty)).isEmpty();
  }

  @Test
  @DisplayName("no overlap, no refusal: 1 pod (x-p0) against x-p1, another federation job, two plain parties")
  void noOverlap() {
    assertThat(refusal(PARTY_X_P1, job("study-x", "x", 1, "2026-12-05T10:00:00Z"), PARTY_X_P1)).isEmpty();
    IflearnerJob otherFederation = job("lab-b", "x-p1", null, "2026-12-05T11:00:00Z");
    otherFederation.getSpec().setHost("survey.x-p1.party.fl.example.org");
    assertThat(refusal(otherFederation, STUDY_X, otherFederation)).isEmpty();
    IflearnerJob otherDomain = job("lab-b", "x-p1", null, "2026-12-05T11:00:00Z");
    otherDomain.getSpec().setHost("fashion.x-p1.party.other.example.org");
    assertThat(refusal(otherDomain, STUDY_X, otherDomain)).isEmpty();
    // two plain jobs with one host are the DNS name claim's business, as before
    assertThat(refusal(PARTY_X_P1, job("lab-c", "x-p1", null, "2026-12-05T08:00:00Z"), PARTY_X_P1)).isEmpty();
  }

  @Test
  @DisplayName("a job named <job>-p1 against pod 1 of <job>: the same pod and Secret name, refused whatever the parties")
  void samePodName() {
    IflearnerJob named = job("study-x-p1", "y", null, "2026-12-05T11:00:00Z");
    assertThat(refusal(named, STUDY_X, named)).hasValueSatisfying(o -> assertThat(o.message())
        .startsWith("pod study-x-p1 (and its Secret study-x-p1-tls) is claimed by team/study-x-p1 (party y) and by "
            + "team/study-x (party x, spec.virtualPartyPods 3), created earlier"));
    IflearnerJob elsewhere = job("study-x-p1", "y", null, "2026-12-05T11:00:00Z");
    elsewhere.getMetadata().setNamespace("other");
    assertThat(refusal(elsewhere, STUDY_X, elsewhere)).as("pod names only clash in one namespace").isEmpty();
  }

  @Test
  @DisplayName("a job being deleted or refused for its virtual parties claims nothing")
  void deletedOrRefusedClaimsNothing() {
    IflearnerJob deleting = job("study-x", "x", 3, "2026-12-05T10:00:00Z");
    deleting.getMetadata().setDeletionTimestamp("2026-12-05T12:00:00Z");
    assertThat(refusal(PARTY_X_P1, deleting, PARTY_X_P1)).isEmpty();
    IflearnerJob invalid = job("study-x", "x", 3, "2026-12-05T10:00:00Z");
    invalid.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--virtual-parties=7");
    assertThat(refusal(PARTY_X_P1, invalid, PARTY_X_P1)).isEmpty();
  }

  @Test
  @DisplayName("the aggregator's allow-list leaves out the refused job's names; RelatedJobs requeues the other claimant")
  void allowListAndRelated() {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    server.getSpec().setVirtualParties(2);
    assertThat(PartiesModel.parties(new JobModel(server), List.of(STUDY_X, PARTY_X_P1), HostPolicy.defaults(), () -> ClaimProof.NONE))
        .containsExactly("x-p0-v0", "x-p0-v1", "x-p1-v0", "x-p1-v1", "x-p2-v0", "x-p2-v1");
    assertThat(RelatedJobs.of(STUDY_X, List.of(STUDY_X, PARTY_X_P1))).contains("team/lab-b");
    assertThat(RelatedJobs.of(PARTY_X_P1, List.of(STUDY_X, PARTY_X_P1))).contains("team/study-x");
  }

  /** {@code job} as its last accepted reconcile left it: holding {@code claims} (status.claims, proven, granted at GRANTED). */
  static IflearnerJob holding(IflearnerJob job, String... claims) {
    return holdingSince(GRANTED, job, claims);
  }

  static IflearnerJob holdingSince(java.time.Instant since, IflearnerJob job, String... claims) {
    IflearnerJobStatus status = new IflearnerJobStatus();
    status.setClaims(List.of(claims));
    status.setClaimsProof(claims.length == 0 ? null : PROOF.proof(job.getMetadata().getUid(), List.of(claims), since));
    job.setStatus(status);
    return job;
  }

  @Test
  @DisplayName("an accepted job holds its pod names and party hosts (status.claims): pod/<pod> and host/<host> per pod")
  void claimsOfAnAcceptedJob() {
    assertThat(PodHostClaims.claims(new JobModel(STUDY_X))).containsExactly("pod/study-x-p0", "pod/study-x-p1",
        "pod/study-x-p2", "host/x-p0", "host/x-p1", "host/x-p2");
    assertThat(PodHostClaims.claims(new JobModel(PARTY_X_P1))).containsExactly("pod/lab-b", "host/x-p1");
  }

  @Nested
  @DisplayName("when the older job scales onto a host the newer job holds")
  class ScaledOntoAHeldHost {
    /** Party x had 1 pod (x-p0) when party x-p1 was created and accepted; x now asks for 3 pods. */
    final IflearnerJob scaled = holding(job("study-x", "x", 3, "2026-12-05T10:00:00Z"), "pod/study-x-p0", "host/x-p0");
    final IflearnerJob holder = holding(job("lab-b", "x-p1", null, "2026-12-05T11:00:00Z"), "pod/lab-b", "host/x-p1");

    @Test
    @DisplayName("the job that scaled is refused, naming the holder; the newer job that claimed x-p1 first keeps it")
    void scaledJobRefused() {
      assertThat(refusal(scaled, scaled, holder)).hasValueSatisfying(o -> {
        assertThat(o.reason()).isEqualTo(PodHostClaims.TAKEN);
        assertThat(o.message()).isEqualTo("party host x-p1 of job fashion in fl.example.org is claimed by team/study-x "
            + "(party x, spec.virtualPartyPods 3) and by team/lab-b (party x-p1), which holds it: one name is one pod and "
            + "one identity; rename one job or party, or change spec.virtualPartyPods");
      });
      assertThat(refusal(holder, scaled, holder)).isEmpty();
    }

    @Test
    @DisplayName("stable across scaling: back to 1 pod both run; scaled to 3 again, the same job is refused; the "
        + "aggregator's allow-list keeps the holder's name")
    void stableAcrossScaling() {
      IflearnerJob backToOne = holding(job("study-x", "x", 1, "2026-12-05T10:00:00Z"), "pod/study-x-p0", "host/x-p0");
      assertThat(refusal(backToOne, backToOne, holder)).isEmpty();
      assertThat(refusal(holder, backToOne, holder)).isEmpty();
      // refused, the scaled job holds nothing (its refusal writes no claims): the holder still keeps x-p1
      IflearnerJob refusedBefore = holding(job("study-x", "x", 3, "2026-12-05T10:00:00Z"));
      assertThat(refusal(refusedBefore, refusedBefore, holder)).isPresent();
      assertThat(refusal(holder, refusedBefore, holder)).isEmpty();
      IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
      server.getSpec().setVirtualParties(2);
      assertThat(PartiesModel.parties(new JobModel(server), List.of(scaled, holder), HostPolicy.defaults(), () -> PROOF))
          .contains("x-p1").doesNotContain("x-p0-v0", "x-p1-v0", "x-p2-v0");
    }

    @Test
    @DisplayName("when both hold the name, granted at the same time (accepted before either saw the other), the earlier creation keeps it")
    void bothHoldEarlierCreationDecides() {
      IflearnerJob both = holding(job("study-x", "x", 3, "2026-12-05T10:00:00Z"), "pod/study-x-p0", "pod/study-x-p1",
          "host/x-p0", "host/x-p1");
      assertThat(refusal(holder, both, holder)).hasValueSatisfying(o -> assertThat(o.message())
          .contains("and by team/study-x (party x, spec.virtualPartyPods 3), which holds it"));
      assertThat(refusal(both, both, holder)).isEmpty();
    }
  }

  @Nested
  @DisplayName("when a job's status claims what the controller never granted it (a tenant may write its job's status)")
  class ForgedClaims {
    /** Party x-p1 of a job created later, accepted, holding x-p1; party x (older, 1 pod) scales to 3 and forges a claim. */
    final IflearnerJob holder = holding(job("lab-b", "x-p1", null, "2026-12-05T11:00:00Z"), "pod/lab-b", "host/x-p1");

    @Test
    @DisplayName("claims written without the controller's proof hold nothing: the older job that forged x-p1 is refused, "
        + "naming the holder")
    void claimsWithoutProof() {
      IflearnerJob forged = job("study-x", "x", 3, "2026-12-05T10:00:00Z");
      IflearnerJobStatus status = new IflearnerJobStatus();
      status.setClaims(List.of("pod/study-x-p0", "pod/study-x-p1", "host/x-p0", "host/x-p1"));
      forged.setStatus(status);
      assertThat(refusal(forged, forged, holder)).hasValueSatisfying(o -> assertThat(o.message())
          .contains("claimed by team/study-x (party x, spec.virtualPartyPods 3) and by team/lab-b (party x-p1), which holds it"));
      assertThat(refusal(holder, forged, holder)).isEmpty();

      status.setClaimsProof(GRANTED + " " + "A".repeat(43));
      assertThat(refusal(forged, forged, holder)).as("a made-up proof").isPresent();
      assertThat(PROOF.held(forged)).isEmpty();
    }

    @Test
    @DisplayName("a proof copied from another job proves nothing: it names that job's uid")
    void proofOfAnotherJob() {
      IflearnerJob forged = job("study-x", "x", 3, "2026-12-05T10:00:00Z");
      IflearnerJobStatus status = new IflearnerJobStatus();
      status.setClaims(holder.getStatus().getClaims());
      status.setClaimsProof(holder.getStatus().getClaimsProof());
      forged.setStatus(status);
      assertThat(PROOF.held(holder)).isPresent();
      assertThat(PROOF.held(forged)).isEmpty();
      assertThat(refusal(forged, forged, holder)).isPresent();
    }

    @Test
    @DisplayName("claims replayed from before the job let x-p1 go are older than the holder's grant: the holder keeps it")
    void replayedClaims() {
      IflearnerJob replayed = holdingSince(GRANTED.minusSeconds(3600), job("study-x", "x", 3, "2026-12-05T10:00:00Z"),
          "pod/study-x-p0", "pod/study-x-p1", "host/x-p0", "host/x-p1");
      assertThat(PROOF.held(replayed)).isPresent();
      assertThat(refusal(replayed, replayed, holder)).isPresent();
      assertThat(refusal(holder, replayed, holder)).isEmpty();
    }

    @Test
    @DisplayName("a proof under another key (another controller's, or made up) proves nothing")
    void anotherKey() {
      ClaimProof other = ClaimProof.withKey(new byte[32]);
      IflearnerJob forged = job("study-x", "x", 3, "2026-12-05T10:00:00Z");
      IflearnerJobStatus status = new IflearnerJobStatus();
      status.setClaims(List.of("host/x-p1"));
      status.setClaimsProof(other.proof("uid-study-x", List.of("host/x-p1"), GRANTED.plusSeconds(60)));
      forged.setStatus(status);
      assertThat(other.held(forged)).isPresent();
      assertThat(PROOF.held(forged)).isEmpty();
      assertThat(refusal(forged, forged, holder)).isPresent();
    }
  }
}
