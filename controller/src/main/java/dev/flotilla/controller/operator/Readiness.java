package dev.flotilla.controller.operator;

import java.util.Optional;

/**
 * What {@code /readyz} answers: not ready while the API server is unusable (whatever the Lease
 * says) or while the leader's informers have not listed what exists; ready when leading with synced
 * informers, and ready as a standby (so a rollout of two replicas is not held up by the one that
 * waits for the Lease). The body names the role, so a person sees which replica leads.
 */
public record Readiness(boolean ready, String text) {

  /**
   * @param apiProblem why the API server is unusable, or empty
   * @param electing whether leader election is on
   * @param leading whether this replica holds the Lease (or reconciles without election)
   * @param synced whether the informers have listed what exists
   */
  public static Readiness of(Optional<String> apiProblem, boolean electing, boolean leading, boolean synced) {
    if (apiProblem.isPresent()) {
      return new Readiness(false, "not ready: " + apiProblem.get());
    }
    String role = !electing ? "reconciling (no leader election)" : leading ? "leader" : "standby (another replica holds the Lease)";
    if (!leading) {
      return new Readiness(true, "ready: " + role + "; API server reachable");
    }
    return synced
        ? new Readiness(true, "ready: " + role + "; API server reachable; informers synced")
        : new Readiness(false, "not ready: " + role + "; informers not synced yet");
  }
}
