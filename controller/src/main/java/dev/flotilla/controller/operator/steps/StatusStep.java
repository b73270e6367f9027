package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodHostClaims;
import dev.flotilla.controller.model.PodOutcome;
import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.controller.operator.ProgressPoller;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import dev.flotilla.controller.model.ClaimProof;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The last step: the job's status ({@link StatusModel}) from every step's observation and the pod's
 * outcome, written through the status subresource only when it differs from the job's latest status.
 * It reports no condition of its own: it is where the others are reported.
 */
public final class StatusStep {

  private final KubernetesClient client;
  private final Clock clock;
  /** Live progress of running aggregators, or null when the controller does not poll them. */
  private final ProgressPoller progress;
  /** Proves the claims it writes ({@link ClaimProof}). */
  private final Supplier<ClaimProof> proofs;

  public StatusStep(KubernetesClient client, Clock clock, ProgressPoller progress, Supplier<ClaimProof> proofs) {
    this.proofs = proofs;
    this.client = client;
    this.clock = clock;
    this.progress = progress;
  }

  /**
   * Writes the status after a chain of steps; {@code context.failures()} non-empty makes the phase Error (unless the pod ended).
   * Tells the progress poller whether the job has a running aggregator to ask ({@link ProgressTarget}), and puts the
   * progress it last heard into the status.
   */
  public void write(JobContext context) {
    JobSummary live = null;
    if (progress != null) {
      String key = context.model().namespace() + "/" + context.model().name();
      progress.observe(key, ProgressTarget.of(context.model(), context.pod()));
      live = progress.latest(key).orElse(null);
    }
    write(context.model(), context.observations(), context.outcome(), live, !context.failures().isEmpty(), context.members(),
        context.partyPods(), PodHostClaims.claims(context.model()));
  }

  /** Writes the status from explicit observations (a refused job reports only its HostAccepted, and holds no claims). */
  public void write(JobModel model, List<Observation> observations, PodOutcome outcome, boolean failed) {
    write(model, observations, outcome, null, failed, null, null, List.of());
  }

  private void write(JobModel model, List<Observation> observations, PodOutcome outcome, JobSummary live, boolean failed,
      List<dev.flotilla.controller.api.MemberStatus> members, dev.flotilla.controller.model.PartyPodsOutcome partyPods,
      List<String> claims) {
    IflearnerJob latest = client.resources(IflearnerJob.class).inNamespace(model.namespace()).withName(model.name()).get();
    if (latest == null) {
      return;
    }
    IflearnerJobStatus status = StatusModel.build(model, latest.getStatus(), observations, outcome, live, failed, clock.instant());
    status.setMembers(members);
    if (partyPods != null) {
      status.setPodsReady(partyPods.ready());
      status.setPodsTotal(partyPods.total());
    }
    // what an accepted job holds, so that who claimed a pod name or party host first keeps it (PodHostClaims); a job
    // that held names and holds none now says so with an empty list (the status patch keeps a field it leaves out)
    List<String> held = latest.getStatus() == null ? null : latest.getStatus().getClaims();
    status.setClaims(!claims.isEmpty() ? claims : held != null ? List.of() : null);
    status.setClaimsProof(claims.isEmpty() ? null : proof(latest, claims));
    if (status.equals(latest.getStatus())) {
      return;
    }
    latest.setStatus(status);
    client.resource(latest).patchStatus();
  }

  /** The proof of {@code claims}: the one {@code job} has when it proves these very claims (granted then), else a new grant now. */
  private String proof(IflearnerJob job, List<String> claims) {
    ClaimProof proof = proofs.get();
    Optional<ClaimProof.Held> held = proof.held(job);
    if (held.isPresent() && held.get().names().equals(claims)) {
      return job.getStatus().getClaimsProof();
    }
    return proof.proof(job.getMetadata().getUid(), claims, clock.instant());
  }
}
