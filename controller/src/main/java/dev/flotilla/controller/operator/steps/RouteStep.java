package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.List;

/**
 * The job's route into the cluster through the {@link RouteKind} that serves it (the first that
 * does); routes of the other kinds that the job owns are removed. It needs the Service the route
 * points at. Its condition is the serving kind's (IngressReady for an Ingress).
 */
public final class RouteStep implements ReconcileStep {

  private final List<RouteKind> kinds;
  private final ServiceStep service;

  /** {@code kinds} in order of preference; the last should serve every job (the default). */
  public RouteStep(ServiceStep service, List<RouteKind> kinds) {
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("a route step needs at least one kind of route");
    }
    this.service = service;
    this.kinds = List.copyOf(kinds);
  }

  /** The kind that routes {@code job}. */
  public RouteKind kindFor(JobModel job) {
    return kinds.stream().filter(k -> k.serves(job)).findFirst().orElseThrow(() ->
        new IllegalStateException(job.ref() + ": no kind of route serves the job"));
  }

  @Override
  public String conditionType(JobModel job) {
    return kindFor(job).conditionType();
  }

  @Override
  public String failureReason(JobModel job) {
    return kindFor(job).failureReason();
  }

  @Override
  public List<ReconcileStep> needs(JobModel job) {
    return List.of(service);
  }

  @Override
  public Observation reconcile(JobContext context) {
    RouteKind chosen = kindFor(context.model());
    for (RouteKind other : kinds) {
      if (other != chosen) {
        other.remove(context);
      }
    }
    return chosen.apply(context);
  }
}
