package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.JobObserverGrpc;
import dev.flotilla.protocol.v1.ProgressReply;
import dev.flotilla.protocol.v1.ProgressRequest;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * Answers the IflearnerJob controller's {@code JobObserver.Progress}: the job's {@link JobSummary}
 * in the codec of the termination message. A snapshot of the job takes its lock, so answers are
 * reused for {@link #REUSE}: however often it is asked, the round loop is disturbed at most once a
 * second. Only a controller identity reaches this service (ControllerIdentityInterceptor).
 */
public final class ProgressService extends JobObserverGrpc.JobObserverImplBase {

  static final Duration REUSE = Duration.ofSeconds(1);

  private final Supplier<JobStatus> status;
  private final Clock clock;
  private String last;
  private Instant lastAt = Instant.MIN;

  public ProgressService(Supplier<JobStatus> status, Clock clock) {
    this.status = status;
    this.clock = clock;
  }

  @Override
  public void progress(ProgressRequest request, StreamObserver<ProgressReply> response) {
    response.onNext(ProgressReply.newBuilder().setSummaryJson(summary()).build());
    response.onCompleted();
  }

  private synchronized String summary() {
    Instant now = clock.instant();
    if (last == null || Duration.between(lastAt, now).compareTo(REUSE) >= 0) {
      last = StatusJson.writeSummary(JobSummary.of(status.get()));
      lastAt = now;
    }
    return last;
  }
}
