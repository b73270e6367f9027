package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.JobObserverGrpc;
import dev.flotilla.protocol.v1.ProgressReply;
import dev.flotilla.protocol.v1.ProgressRequest;
import io.grpc.stub.StreamObserver;

/**
 * Answers the IflearnerJob controller's {@code JobObserver.Progress}: the job's {@link JobSummary}
 * in the codec of the termination message, from a {@link RecentStatus} (so however often it is asked,
 * the round loop is disturbed at most once a second). Only a controller identity reaches this service
 * (ControllerIdentityInterceptor).
 */
public final class ProgressService extends JobObserverGrpc.JobObserverImplBase {

  private final RecentStatus status;

  public ProgressService(RecentStatus status) {
    this.status = status;
  }

  @Override
  public void progress(ProgressRequest request, StreamObserver<ProgressReply> response) {
    response.onNext(ProgressReply.newBuilder().setSummaryJson(summary()).build());
    response.onCompleted();
  }

  private String summary() {
    return StatusJson.writeSummary(JobSummary.of(status.get()));
  }
}
