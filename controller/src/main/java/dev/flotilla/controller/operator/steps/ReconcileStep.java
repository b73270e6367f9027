package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.List;

/**
 * One step of a job's reconcile: desired vs actual for one kind of child (or one piece of outside
 * state), reported as one condition of its own type. Steps run in a fixed order ({@link StepChain});
 * a step whose {@link #needs} are not all True does not act and reports that it waits; a step that
 * throws becomes a False condition of its own type and a Warning Event. Building what is desired is
 * left to the pure builders in {@code controller.model}; a step only reads, compares and writes.
 */
public interface ReconcileStep {

  /** The condition type this step reports for {@code job}. */
  String conditionType(JobModel job);

  /** The reason of the False condition and the Event when the step throws (a {@link StepFailure} names its own). */
  String failureReason(JobModel job);

  /**
   * Steps that run earlier and whose conditions must not be False for this one to act on the job; a
   * step that reported nothing for the job (it does not apply) does not hold anyone back.
   */
  default List<ReconcileStep> needs(JobModel job) {
    return List.of();
  }

  /**
   * Brings the cluster to the desired state for this step and says how that went; null when the step
   * has nothing to report for this job (it does not apply to it). Throws when it cannot.
   */
  Observation reconcile(JobContext context);

  /**
   * What the step reports while a step it needs is not ready; {@code waiting} is the default (its
   * condition False, naming what it waits for). A step may read what exists to report more.
   */
  default Observation whileWaiting(JobContext context, Observation waiting) {
    return waiting;
  }
}
