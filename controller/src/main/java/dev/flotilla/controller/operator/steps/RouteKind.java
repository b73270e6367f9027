package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;

/**
 * One way into the cluster for a job's host, routing by SNI to the job's Service: an Ingress for
 * ingress-nginx ({@link IngressRoute}) today; a Gateway API TLSRoute is the next. {@link RouteStep}
 * asks each kind whether it serves the job; the one that does applies its objects, the others remove
 * theirs (the job switched kinds).
 */
public interface RouteKind {

  /** True when this kind routes the job (its spec chose it, or it is the default). */
  boolean serves(JobModel job);

  /** The condition type this kind reports (e.g. IngressReady). */
  String conditionType();

  /** The reason of the False condition and the Event when {@link #apply} throws. */
  String failureReason();

  /**
   * Applies the job's route and reports it; tells the context the address the route's controller
   * published in the route's status, when it did ({@link JobContext#routeStatusAddress}).
   */
  Observation apply(JobContext context);

  /** Deletes this kind's route of a job that another kind serves; nothing when there is none. */
  void remove(JobContext context);
}
