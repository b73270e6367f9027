package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.TestIdentity;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-process: which calls {@link CallAdmission} lets start, counted per party, before any message. */
class CallAdmissionTest {

  @TempDir
  Path dir;

  private final List<ClientCall<?, ?>> calls = new ArrayList<>();

  @AfterEach
  void cancel() {
    calls.forEach(c -> c.cancel("test over", null));
  }

  private Federation federation() throws Exception {
    return new Federation(ServerConfig.builder().jobId("ca-job").model("mlp").minParties(2).expectedParties(2)
        .maxCallsPerParty(3).stateDir(dir.resolve("state")).build());
  }

  /** A started call that sends no message; completes with its end status. */
  private <Q, R> CompletableFuture<Status> open(Channel channel, MethodDescriptor<Q, R> method) {
    ClientCall<Q, R> call = channel.newCall(method.toBuilder().setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
        .build(), CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
    calls.add(call);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    return closed;
  }

  private static Status end(CompletableFuture<Status> call) {
    await().atMost(Duration.ofSeconds(10)).until(call::isDone);
    return call.join();
  }

  private static Channel as(Federation f, String party) {
    return ClientInterceptors.intercept(f.channel, TestIdentity.as(party));
  }

  @Test
  @DisplayName("a call without an identity is UNAUTHENTICATED and a non-member's upload PERMISSION_DENIED, both before "
      + "any message; a non-member's Join is admitted")
  void authorisation() throws Exception {
    try (Federation f = federation()) {
      Status anonymous = end(open(f.channel, FederationGrpc.getJoinMethod()));
      assertThat(anonymous.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      Status upload = end(open(as(f, "eve"), FederationGrpc.getSubmitUpdateMethod()));
      assertThat(upload.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(upload.getDescription()).startsWith("party 'eve' is not a member of job ca-job");
      CompletableFuture<Status> join = open(as(f, "eve"), FederationGrpc.getJoinMethod());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("eve") == 1);
      assertThat(join).isNotDone();
    }
  }

  @Test
  @DisplayName("one upload and --max-calls-per-party calls per party at a time; refused calls take no place; a call "
      + "that ends gives its place back")
  void limits() throws Exception {
    try (Federation f = federation()) {
      f.party("alice").join(10);
      Channel alice = as(f, "alice");
      CompletableFuture<Status> upload = open(alice, FederationGrpc.getSubmitUpdateMethod());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 1);
      Status second = end(open(alice, FederationGrpc.getSubmitUpdateMethod()));
      assertThat(second.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(f.admission.callsInFlight("alice")).isEqualTo(1);

      open(alice, FederationGrpc.getJoinMethod());
      open(alice, FederationGrpc.getReportEvaluationMethod());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 3);
      Status fourth = end(open(alice, FederationGrpc.getFetchModelMethod()));
      assertThat(fourth.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(fourth.getDescription()).isEqualTo("party 'alice' has 3 calls in flight in job ca-job, the most "
          + "--max-calls-per-party allows");
      assertThat(upload).isNotDone();

      calls.get(0).cancel("done", null);
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 2);
      CompletableFuture<Status> again = open(alice, FederationGrpc.getSubmitUpdateMethod());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 3);
      assertThat(again).isNotDone();
    }
  }

  @Test
  @DisplayName("a full job refuses a non-member's Join at its start with RESOURCE_EXHAUSTED; a member's Join is admitted")
  void fullJob() throws Exception {
    try (Federation f = federation()) {
      f.party("alice").join(10);
      f.party("bob").join(10);
      Status carol = end(open(as(f, "carol"), FederationGrpc.getJoinMethod()));
      assertThat(carol.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(carol.getDescription()).isEqualTo("job ca-job is full: 2 parties have joined [alice, bob] and it expects 2");
      assertThat(f.party("alice").join(20).getPartyName()).isEqualTo("alice");
    }
  }
}
