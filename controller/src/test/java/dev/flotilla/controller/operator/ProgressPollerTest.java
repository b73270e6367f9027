package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.protocol.status.JobSummary;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ProgressPoller: the queue hears of a job only when its progress moved")
class ProgressPollerTest {

  private static final ProgressTarget TARGET = new ProgressTarget("fl/fashion-server", "10.88.0.7:8443",
      "fashion.server.fl.example.org", "fl.example.org", "fashion", "fl");

  private static JobSummary summary(int round, Double accuracy, long madeAt) {
    return new JobSummary("fashion", round, 3, false, 3, 3, accuracy, accuracy == null ? null : 1 - accuracy, null,
        round == 0 ? null : 1_000L * round, madeAt, null, null);
  }

  /** Answers with what the test puts in, one answer per fetch, synchronously. */
  private static final class Scripted implements ProgressSource {
    final List<CompletableFuture<JobSummary>> answers = new ArrayList<>();
    int fetches;

    @Override
    public CompletableFuture<JobSummary> fetch(ProgressTarget target) {
      return answers.get(fetches++);
    }

    void answer(JobSummary s) {
      answers.add(CompletableFuture.completedFuture(s));
    }

    void fail(Throwable t) {
      answers.add(CompletableFuture.failedFuture(t));
    }
  }

  @Test
  @DisplayName("first numbers and each new round enqueue the job; the same numbers made later, or a failure, enqueue nothing and keep the last")
  void onlyWhenChanged() {
    Scripted source = new Scripted();
    List<String> enqueued = new ArrayList<>();
    ProgressPoller poller = new ProgressPoller(source, enqueued::add);
    poller.observe(TARGET.jobKey(), Optional.of(TARGET));

    source.answer(summary(0, null, 100));
    poller.pollAll();
    assertThat(enqueued).containsExactly("fl/fashion-server");
    assertThat(poller.latest("fl/fashion-server")).contains(summary(0, null, 100));

    source.answer(summary(0, null, 200)); // the same progress, asked again
    poller.pollAll();
    assertThat(enqueued).hasSize(1);

    source.answer(summary(1, 0.71, 300));
    poller.pollAll();
    assertThat(enqueued).containsExactly("fl/fashion-server", "fl/fashion-server");
    assertThat(poller.latest("fl/fashion-server").orElseThrow().roundsCompleted()).isEqualTo(1);

    source.fail(Status.PERMISSION_DENIED.withDescription("peer spiffe://x may not read the progress").asRuntimeException());
    poller.pollAll();
    source.fail(new IllegalStateException("its reply is not a job summary: is longer than 4096 characters"));
    poller.pollAll();
    assertThat(enqueued).hasSize(2);
    assertThat(poller.latest("fl/fashion-server").orElseThrow().lastAccuracy()).isEqualTo(0.71);
    assertThat(source.fetches).isEqualTo(5);
  }

  @Test
  @DisplayName("a slow aggregator gets one call at a time; a job no longer running is dropped and not asked again")
  void oneCallInFlightAndForget() {
    Scripted source = new Scripted();
    CompletableFuture<JobSummary> slow = new CompletableFuture<>();
    source.answers.add(slow);
    List<String> enqueued = new ArrayList<>();
    ProgressPoller poller = new ProgressPoller(source, enqueued::add);
    poller.observe(TARGET.jobKey(), Optional.of(TARGET));
    poller.pollAll();
    poller.pollAll();
    poller.pollAll();
    assertThat(source.fetches).isEqualTo(1);
    slow.complete(summary(2, 0.8, 1));
    assertThat(enqueued).containsExactly("fl/fashion-server");

    poller.observe(TARGET.jobKey(), Optional.empty());
    assertThat(poller.latest("fl/fashion-server")).isEmpty();
    poller.pollAll();
    assertThat(source.fetches).isEqualTo(1);
  }

  @Test
  @DisplayName("a new pod (another address) starts from nothing: its aggregator counts anew")
  void newPodStartsAfresh() {
    Scripted source = new Scripted();
    ProgressPoller poller = new ProgressPoller(source, job -> { });
    poller.observe(TARGET.jobKey(), Optional.of(TARGET));
    source.answer(summary(2, 0.8, 1));
    poller.pollAll();
    poller.observe(TARGET.jobKey(), Optional.of(new ProgressTarget(TARGET.jobKey(), "10.88.0.9:8443", TARGET.serverName(),
        TARGET.domain(), TARGET.identityJob(), TARGET.namespace())));
    assertThat(poller.latest("fl/fashion-server")).isEmpty();
  }
}
