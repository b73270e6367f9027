package dev.flotilla.controller.operator;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The controller's Prometheus metrics. */
public final class ControllerMetrics {

  /** Metric names, as scraped; tests and dashboards use these. */
  public static final String RECONCILES = "flotilla_controller_reconciles_total";
  public static final String RECONCILE_DURATION = "flotilla_controller_reconcile_duration_seconds";
  public static final String LEADER = "flotilla_controller_leader";
  public static final String QUEUE_DEPTH = "flotilla_controller_queue_depth";

  private final PrometheusRegistry registry;
  final Counter reconciles;
  final Histogram duration;
  final Gauge leader;
  final Gauge queueDepth;

  public ControllerMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    this.reconciles = Counter.builder().name(RECONCILES)
        .help("IflearnerJob reconciles by result (success, error, requeue)").labelNames("result").register(registry);
    this.duration = Histogram.builder().name(RECONCILE_DURATION)
        .help("Time one IflearnerJob reconcile takes").register(registry);
    this.leader = Gauge.builder().name(LEADER)
        .help("1 while this replica holds the leader Lease").register(registry);
    this.queueDepth = Gauge.builder().name(QUEUE_DEPTH)
        .help("IflearnerJobs waiting to be reconciled").register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Reconciles this replica has run so far, whatever their result. */
  public long reconcileCount() {
    return (long) reconciles.collect().getDataPoints().stream().mapToDouble(d -> d.getValue()).sum();
  }

  public void setLeader(boolean isLeader) {
    leader.set(isLeader ? 1 : 0);
  }
}
