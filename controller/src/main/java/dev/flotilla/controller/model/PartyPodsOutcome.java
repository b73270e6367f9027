package dev.flotilla.controller.model;

import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.List;
import java.util.Optional;

/**
 * What the party pods of a job with spec.virtualPartyPods say together, as one {@link PodOutcome}: Failed
 * when one failed (it cannot come back), Succeeded when all did, Running while one runs or some ended and
 * others still run, else Pending; {@value StatusModel#POD_READY} True when every pod is ready, else the
 * first pod that is not, with how many are. Pure.
 *
 * @param outcome the job's outcome
 * @param ready how many pods are ready
 * @param total how many pods the job has
 */
public record PartyPodsOutcome(PodOutcome outcome, int ready, int total) {

  public static final String PODS_READY = "PodsReady";

  /** The outcome of {@code pods}, the outcome of each party pod in order (at least one). */
  public static PartyPodsOutcome of(List<PodOutcome> pods) {
    if (pods.isEmpty()) {
      throw new IllegalArgumentException("a job has at least one pod");
    }
    int ready = (int) pods.stream().filter(p -> p.podReady().ready()).count();
    int total = pods.size();
    String counted = ready + " of " + total + " party pods ready";
    Optional<PodOutcome> failed = pods.stream().filter(p -> PodOutcome.FAILED.equals(p.phase())).findFirst();
    if (failed.isPresent()) {
      return new PartyPodsOutcome(prefixed(failed.get(), PodOutcome.FAILED, counted), ready, total);
    }
    if (pods.stream().allMatch(p -> PodOutcome.SUCCEEDED.equals(p.phase()))) {
      return new PartyPodsOutcome(prefixed(pods.get(0), PodOutcome.SUCCEEDED, "all " + total + " party pods completed"),
          ready, total);
    }
    boolean running = pods.stream().anyMatch(p -> PodOutcome.RUNNING.equals(p.phase())
        || PodOutcome.SUCCEEDED.equals(p.phase()));
    String phase = running ? PodOutcome.RUNNING : pods.stream().filter(p -> !PodOutcome.SUCCEEDED.equals(p.phase()))
        .findFirst().orElseThrow().phase();
    if (ready == total) {
      return new PartyPodsOutcome(new PodOutcome(phase, new Observation(StatusModel.POD_READY, true, PODS_READY, counted),
          Optional.empty()), ready, total);
    }
    // a pod that still has to get ready says more than one that completed
    PodOutcome notReady = pods.stream().filter(p -> !p.podReady().ready() && !PodOutcome.SUCCEEDED.equals(p.phase()))
        .findFirst().orElseGet(() -> pods.stream().filter(p -> !p.podReady().ready()).findFirst().orElseThrow());
    return new PartyPodsOutcome(prefixed(notReady, phase, counted), ready, total);
  }

  /** {@code pod}'s reason (so its warnings stay what they are) in {@code phase}, its message after {@code counted}. */
  private static PodOutcome prefixed(PodOutcome pod, String phase, String counted) {
    Observation o = pod.podReady();
    return new PodOutcome(phase, new Observation(o.type(), o.ready(), o.reason(), counted + "; " + o.message()),
        pod.summary());
  }
}
