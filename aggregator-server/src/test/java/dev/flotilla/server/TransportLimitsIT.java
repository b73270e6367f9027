package dev.flotilla.server;

import static dev.flotilla.server.CallsWithoutMessage.awaitEnd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 3, on the server jar over mutual TLS: a call is admitted or refused at its
 * start, before the client has sent any message (these calls never send one); limits per party
 * hold across connections; a connection that keeps opening calls it may not is closed while the
 * server goes on serving the others.
 */
class TransportLimitsIT {

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();
  @RegisterExtension
  final CallsWithoutMessage calls = new CallsWithoutMessage();

  private interface Call {
    Object run() throws Exception;
  }

  /**
   * Repeats a call until the server refuses it with {@code code} at its start (calls start
   * asynchronously on the server, so the calls the limit counts may not all have started yet);
   * returns the refusal.
   */
  private static Status awaitRefusal(Call call, Status.Code code) {
    Status[] refusal = new Status[1];
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
      try {
        call.run();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == code) {
          refusal[0] = e.getStatus();
          return true;
        }
      }
      return false;
    });
    return refusal[0];
  }

  private ServerProcess start(TestPki pki, int port, int expectedParties) throws Exception {
    ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--job-id", "tl-job", "--rounds", "1",
        "--min-parties", "2", "--expected-parties", Integer.toString(expectedParties), "--model", "mlp");
    server.awaitServing(channels.open(pki, port, "probe"));
    return server;
  }

  @Test
  @DisplayName("calls are refused at their start, before any message: a non-member's SubmitUpdate, a non-member's Join "
      + "to a full job, a party's second SubmitUpdate, and a party's call beyond --max-calls-per-party over all its "
      + "connections")
  void refusedAtCallStart() throws Exception {
    TestPki pki = new TestPki(dir, "tl-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, 2)) {
      ManagedChannel eve = channels.open(pki, port, "eve");
      Status eveUpload = awaitEnd(calls.open(eve, FederationGrpc.getSubmitUpdateMethod()));
      assertThat(eveUpload.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(eveUpload.getDescription()).isEqualTo("party 'eve' is not a member of job tl-job (it has not joined, "
          + "or its slot was released)");

      ManagedChannel alice = channels.open(pki, port, "alice");
      new FakeParty(alice, "alice").join(100);
      channels.party(pki, port, "bob").join(100);
      Status eveJoin = awaitEnd(calls.open(eve, FederationGrpc.getJoinMethod()));
      assertThat(eveJoin.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(eveJoin.getDescription()).isEqualTo("job tl-job is full: 2 parties have joined [alice, bob] and it "
          + "expects 2");

      // an upload that never sends its header holds alice's one upload place; a second one, over another connection,
      // is refused at its start (probed with uploads that end at once when admitted: no round is open)
      CompletableFuture<Status> firstUpload = calls.open(alice, FederationGrpc.getSubmitUpdateMethod());
      FakeParty aliceElsewhere = channels.party(pki, port, "alice");
      List<UpdateChunk> headerOnly = List.of(UpdateChunk.newBuilder()
          .setHeader(UpdateHeader.newBuilder().setRound(1).setNumSamples(100)).build());
      Status secondUpload = awaitRefusal(() -> aliceElsewhere.submitRaw(headerOnly), Status.Code.ALREADY_EXISTS);
      assertThat(secondUpload.getDescription()).isEqualTo("party 'alice' already has an update upload in flight in job "
          + "tl-job; a party sends one SubmitUpdate at a time");
      assertThat(firstUpload).as("the first upload is still open, waiting for its header").isNotDone();

      // 1 upload + 7 Joins in flight over three connections = --max-calls-per-party 8; one more is refused
      List<ManagedChannel> aliceChannels = List.of(alice, channels.open(pki, port, "alice"),
          channels.open(pki, port, "alice"));
      List<CompletableFuture<Status>> pending = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        pending.add(calls.open(aliceChannels.get(i % 3), FederationGrpc.getJoinMethod()));
      }
      FakeParty aliceFourth = channels.party(pki, port, "alice");
      Status ninth = awaitRefusal(() -> aliceFourth.join(100), Status.Code.RESOURCE_EXHAUSTED);
      assertThat(ninth.getDescription()).isEqualTo("party 'alice' has 8 calls in flight in job tl-job, the most "
          + "--max-calls-per-party allows");
      assertThat(pending).noneMatch(CompletableFuture::isDone);
      assertThat(firstUpload).isNotDone();

      // calls that end give their place back
      calls.cancelAll();
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
          .until(() -> new FakeParty(alice, "alice").join(100).getPartyName().equals("alice"));
    }
  }

  @Test
  @DisplayName("a connection that keeps opening calls it may not make is closed (its other calls end UNAVAILABLE); "
      + "the server goes on serving the other parties")
  void misbehavingConnectionIsClosed() throws Exception {
    TestPki pki = new TestPki(dir, "tl-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, 3)) {
      ManagedChannel alice = channels.open(pki, port, "alice");
      new FakeParty(alice, "alice").join(100);

      ManagedChannel eve = channels.open(pki, port, "eve");
      // eve may call Join (the job has free slots): this call is admitted and stays open on eve's connection
      CompletableFuture<Status> admitted = calls.open(eve, FederationGrpc.getJoinMethod());
      List<Status> refused = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        refused.add(awaitEnd(calls.open(eve, FederationGrpc.getSubmitUpdateMethod())));
      }
      assertThat(refused).extracting(Status::getCode).containsOnly(Status.Code.PERMISSION_DENIED);
      Status end = awaitEnd(admitted);
      assertThat(end.getCode()).as(end.toString()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(server.log()).contains("job tl-job: closing the connection from /127.0.0.1:")
          .contains(": 5 calls refused at their start within PT1M; last: SubmitUpdate: PERMISSION_DENIED party 'eve'");

      assertThat(ServerProcess.serving(alice)).isTrue();
      assertThat(new FakeParty(alice, "alice").join(100).getPartyName()).isEqualTo("alice");
      assertThat(channels.party(pki, port, "bob").join(100).getPartyIndex()).isEqualTo(1);
    }
  }
}
