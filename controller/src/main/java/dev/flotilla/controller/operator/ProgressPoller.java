package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.protocol.status.JobSummary;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the running aggregators the reconciler tells it about ({@link #observe}) every interval,
 * keeps each job's newest progress, and hands a job to {@code changed} (the work queue) only when
 * its progress moved: a poll that brings the same numbers writes nothing. At most one call per job
 * is in flight; a failure keeps the last progress and is logged with the job's name once per
 * distinct reason (a refusing or silent aggregator does not fill the log).
 */
public final class ProgressPoller implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProgressPoller.class);

  private final ProgressSource source;
  private final Consumer<String> changed;
  private final Map<String, ProgressTarget> targets = new ConcurrentHashMap<>();
  private final Map<String, JobSummary> latest = new ConcurrentHashMap<>();
  private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();
  private final Map<String, String> lastFailure = new ConcurrentHashMap<>();
  private ScheduledExecutorService scheduler;

  public ProgressPoller(ProgressSource source, Consumer<String> changed) {
    this.source = source;
    this.changed = changed;
  }

  /** Polls every {@code interval} from now on. */
  public synchronized void start(Duration interval) {
    if (scheduler == null) {
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flotilla-progress");
        t.setDaemon(true);
        return t;
      });
      scheduler.scheduleWithFixedDelay(this::pollAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * What the reconciler found for the job: a running aggregator to poll, or none (the pod is gone,
   * ended or not a Flotilla aggregator), which stops polling it and drops what was learned; the
   * pod's termination message carries the final numbers.
   */
  public void observe(String jobKey, Optional<ProgressTarget> target) {
    if (target.isPresent()) {
      ProgressTarget before = targets.put(jobKey, target.get());
      if (before != null && !before.equals(target.get())) {
        latest.remove(jobKey); // a new pod: its aggregator starts its own count
      }
    } else if (targets.remove(jobKey) != null) {
      latest.remove(jobKey);
      lastFailure.remove(jobKey);
      if (source instanceof GrpcProgressSource grpc) {
        grpc.forget(jobKey);
      }
    }
  }

  /** The job's newest progress while its aggregator runs. */
  public Optional<JobSummary> latest(String jobKey) {
    return Optional.ofNullable(latest.get(jobKey));
  }

  /** One round of polls: every job without a call in flight is asked once. */
  void pollAll() {
    targets.forEach((job, target) -> {
      if (inFlight.putIfAbsent(job, Boolean.TRUE) != null) {
        return;
      }
      try {
        source.fetch(target).whenComplete((summary, error) -> {
          inFlight.remove(job);
          if (error != null) {
            failed(job, target, error);
          } else {
            received(job, target, summary);
          }
        });
      } catch (RuntimeException e) {
        inFlight.remove(job);
        failed(job, target, e);
      }
    });
  }

  private void received(String job, ProgressTarget target, JobSummary summary) {
    if (!target.equals(targets.get(job))) {
      return; // forgotten or moved while the call ran
    }
    if (lastFailure.remove(job) != null) {
      LOG.info("{}: progress from the aggregator at {} again", job, target.address());
    }
    JobSummary before = latest.put(job, summary);
    if (!sameProgress(before, summary)) {
      LOG.debug("{}: round {} of {}, {} of {} parties", job, summary.roundsCompleted(), summary.roundsTotal(),
          summary.partiesConnected(), summary.partiesExpected());
      changed.accept(job);
    }
  }

  private void failed(String job, ProgressTarget target, Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
    String reason = cause instanceof StatusRuntimeException s
        ? s.getStatus().getCode() + (s.getStatus().getDescription() == null ? "" : ": " + s.getStatus().getDescription())
        : (cause.getMessage() == null ? cause.toString() : cause.getMessage());
    reason = reason.length() > 300 ? reason.substring(0, 300) + "..." : reason;
    // the same failure with other figures in it (a deadline's elapsed time) is the same failure
    String kind = reason.replaceAll("[0-9][0-9.]*", "#");
    if (!kind.equals(lastFailure.put(job, kind))) {
      LOG.warn("{}: no progress from the aggregator at {} ({}): {}; status keeps its last numbers", job, target.address(),
          target.serverName(), reason);
    }
  }

  /** Equal but for the time the summary was made. */
  static boolean sameProgress(JobSummary a, JobSummary b) {
    return a != null && b != null && a.equals(new JobSummary(b.jobId(), b.roundsCompleted(), b.roundsTotal(), b.finished(),
        b.partiesConnected(), b.partiesExpected(), b.lastAccuracy(), b.lastLoss(), b.finalAccuracy(), b.lastRoundUnixMillis(),
        a.updatedUnixMillis(), b.epsilonSpent(), b.endReason()));
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
    if (source instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.debug("closing the progress source: {}", e.toString());
      }
    }
  }
}
