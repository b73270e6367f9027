package dev.flotilla.server.transport;

import static dev.flotilla.server.CallsWithoutMessage.awaitEnd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.server.CallsWithoutMessage;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.TestIdentity;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** In-process: which calls {@link CallAdmission} lets start, counted per party, before any message. */
class CallAdmissionTest {

  @TempDir
  Path dir;

  @RegisterExtension
  final CallsWithoutMessage calls = new CallsWithoutMessage();

  private Federation federation() throws Exception {
    return new Federation(ServerConfig.builder().jobId("ca-job").model("mlp").minParties(2).expectedParties(2)
        .maxCallsPerParty(3).stateDir(dir.resolve("state")).build());
  }

  private static Channel as(Federation f, String party) {
    return ClientInterceptors.intercept(f.channel, TestIdentity.as(party));
  }

  @Test
  @DisplayName("a call without an identity is UNAUTHENTICATED and a non-member's upload PERMISSION_DENIED, both before "
      + "any message; a non-member's Join is admitted")
  void authorisation() throws Exception {
    try (Federation f = federation()) {
      Status anonymous = awaitEnd(calls.open(f.channel, FederationGrpc.getJoinMethod()));
      assertThat(anonymous.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      Status upload = awaitEnd(calls.open(as(f, "eve"), FederationGrpc.getSubmitUpdateMethod()));
      assertThat(upload.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(upload.getDescription()).startsWith("party 'eve' is not a member of job ca-job");
      CompletableFuture<Status> join = calls.open(as(f, "eve"), FederationGrpc.getJoinMethod());
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
      CompletableFuture<Status> upload = calls.open(alice, FederationGrpc.getSubmitUpdateMethod());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 1);
      Status second = awaitEnd(calls.open(alice, FederationGrpc.getSubmitUpdateMethod()));
      assertThat(second.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(f.admission.callsInFlight("alice")).isEqualTo(1);

      calls.open(alice, FederationGrpc.getJoinMethod());
      calls.open(alice, FederationGrpc.getReportEvaluationMethod());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 3);
      Status fourth = awaitEnd(calls.open(alice, FederationGrpc.getFetchModelMethod()));
      assertThat(fourth.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(fourth.getDescription()).isEqualTo("party 'alice' has 3 calls in flight in job ca-job, the most "
          + "--max-calls-per-party allows");
      assertThat(upload).isNotDone();

      calls.cancel(upload);
      await().atMost(Duration.ofSeconds(10)).until(() -> f.admission.callsInFlight("alice") == 2);
      CompletableFuture<Status> again = calls.open(alice, FederationGrpc.getSubmitUpdateMethod());
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
      Status carol = awaitEnd(calls.open(as(f, "carol"), FederationGrpc.getJoinMethod()));
      assertThat(carol.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(carol.getDescription()).isEqualTo("job ca-job is full: 2 parties have joined [alice, bob] and it expects 2");
      assertThat(f.party("alice").join(20).getPartyName()).isEqualTo("alice");
    }
  }
}
