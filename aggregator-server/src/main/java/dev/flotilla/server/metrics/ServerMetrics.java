package dev.flotilla.server.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.atomic.AtomicLong;

/** The aggregator's Prometheus metrics, in a registry of its own (so tests do not share state). */
public final class ServerMetrics {

  /** Metric names, as scraped (a counter gains the suffix _total in the exposition); tests and dashboards use these. */
  public static final String ROUNDS_COMPLETED = "flotilla_rounds_completed";
  public static final String PARTIES_CONNECTED = "flotilla_parties_connected";
  public static final String BYTES_RECEIVED = "flotilla_bytes_received";
  public static final String BYTES_SENT = "flotilla_bytes_sent";
  public static final String ROUND_DURATION = "flotilla_round_duration_seconds";
  public static final String AGGREGATION_TIME = "flotilla_aggregation_seconds";
  public static final String UPDATES_ACCEPTED = "flotilla_updates_accepted";
  public static final String UPDATES_REJECTED = "flotilla_updates_rejected";
  public static final String ROUNDS_RETRIED = "flotilla_rounds_retried";


  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Gauge roundsCompleted;
  private final Gauge partiesConnected;
  private final Counter bytesReceived;
  private final Counter bytesSent;
  private final Histogram roundDuration;
  private final Histogram aggregationTime;
  private final Counter updatesAccepted;
  private final Counter updatesRejected;
  private final Counter roundsRetried;
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();

  public ServerMetrics() {
    roundsCompleted = Gauge.builder().name(ROUNDS_COMPLETED)
        .help("Rounds of the job completed (aggregated and checkpointed)").register(registry);
    partiesConnected = Gauge.builder().name(PARTIES_CONNECTED)
        .help("Parties with a live Rounds stream").register(registry);
    bytesReceived = Counter.builder().name(BYTES_RECEIVED)
        .help("Protobuf message bytes of updates received from parties").register(registry);
    bytesSent = Counter.builder().name(BYTES_SENT)
        .help("Protobuf message bytes of models sent to parties").register(registry);
    roundDuration = Histogram.builder().name(ROUND_DURATION)
        .help("Time from a round's TrainRequests to its aggregated model")
        .classicUpperBounds(1, 5, 10, 30, 60, 120, 300, 600, 1800).register(registry);
    aggregationTime = Histogram.builder().name(AGGREGATION_TIME)
        .help("Time to turn a round's running sum into the next global model")
        .classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5).register(registry);
    updatesAccepted = Counter.builder().name(UPDATES_ACCEPTED)
        .help("Party updates folded into a round").register(registry);
    updatesRejected = Counter.builder().name(UPDATES_REJECTED)
        .help("Party updates refused, by gRPC status code").labelNames("code").register(registry);
    roundsRetried = Counter.builder().name(ROUNDS_RETRIED)
        .help("Round attempts that ended with fewer than --min-parties updates and were started again")
        .register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Continues the byte totals of a previous run (from the checkpoint). */
  public void restoreBytes(long up, long down) {
    bytesUp.set(up);
    bytesDown.set(down);
  }

  public void bytesIn(long n) {
    bytesUp.addAndGet(n);
    bytesReceived.inc(n);
  }

  public void bytesOut(long n) {
    bytesDown.addAndGet(n);
    bytesSent.inc(n);
  }

  public long bytesUp() {
    return bytesUp.get();
  }

  public long bytesDown() {
    return bytesDown.get();
  }

  public void roundsCompleted(int n) {
    roundsCompleted.set(n);
  }

  public void partiesConnected(int n) {
    partiesConnected.set(n);
  }

  public void roundDuration(double seconds) {
    roundDuration.observe(seconds);
  }

  public void aggregationTime(double seconds) {
    aggregationTime.observe(seconds);
  }

  public void updateAccepted() {
    updatesAccepted.inc();
  }

  public void updateRejected(io.grpc.Status.Code code) {
    updatesRejected.labelValues(code.name()).inc();
  }

  public void roundRetried() {
    roundsRetried.inc();
  }
}
