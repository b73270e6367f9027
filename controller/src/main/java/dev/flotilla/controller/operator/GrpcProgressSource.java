package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.protocol.status.InvalidStatusException;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.JobObserverGrpc;
import dev.flotilla.protocol.v1.ProgressReply;
import dev.flotilla.protocol.v1.ProgressRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * JobObserver.Progress over mutual TLS, one channel per job (closed when the job's target changes
 * or it is forgotten). What a hostile or slow aggregator can cost is bounded: every call has a
 * deadline, a reply or its headers above {@value #MAX_REPLY_BYTES} bytes is refused by gRPC before
 * it is buffered, and the summary is read by the strict {@link StatusJson#readSummary}.
 */
public final class GrpcProgressSource implements ProgressSource, AutoCloseable {

  /** A summary is at most 4096 bytes of JSON; the reply's framing adds a few. */
  static final int MAX_REPLY_BYTES = StatusJson.MAX_SUMMARY_BYTES + 512;

  private record Open(ProgressTarget target, ManagedChannel channel) {}

  private final ObserverCredentials credentials;
  private final Duration timeout;
  private final Map<String, Open> channels = new ConcurrentHashMap<>();

  public GrpcProgressSource(ObserverCredentials credentials, Duration timeout) {
    this.credentials = credentials;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<JobSummary> fetch(ProgressTarget target) {
    CompletableFuture<JobSummary> result = new CompletableFuture<>();
    ManagedChannel channel;
    try {
      channel = channel(target);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    JobObserverGrpc.newStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .progress(ProgressRequest.getDefaultInstance(), new StreamObserver<ProgressReply>() {
          @Override
          public void onNext(ProgressReply reply) {
            try {
              result.complete(StatusJson.readSummary(reply.getSummaryJson()));
            } catch (InvalidStatusException e) {
              result.completeExceptionally(new IllegalStateException("its reply is not a job summary: " + e.getMessage(), e));
            }
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(new IllegalStateException("it answered with no reply"));
          }
        });
    return result;
  }

  private ManagedChannel channel(ProgressTarget target) {
    Open open = channels.compute(target.jobKey(), (key, old) -> {
      if (old != null && old.target().equals(target)) {
        return old;
      }
      if (old != null) {
        old.channel().shutdownNow();
      }
      return new Open(target, NettyChannelBuilder.forTarget(target.address())
          .sslContext(credentials.sslContext(target))
          .overrideAuthority(target.serverName())
          .maxInboundMessageSize(MAX_REPLY_BYTES)
          .maxInboundMetadataSize(MAX_REPLY_BYTES)
          .idleTimeout(5, TimeUnit.MINUTES)
          .build());
    });
    return open.channel();
  }

  /** Closes the job's channel. */
  public void forget(String jobKey) {
    Open open = channels.remove(jobKey);
    if (open != null) {
      open.channel().shutdownNow();
    }
  }

  @Override
  public void close() {
    channels.values().forEach(o -> o.channel().shutdownNow());
    channels.clear();
  }
}
