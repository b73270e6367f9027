package dev.flotilla.server;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Found in review of issue 11: calls refused for their identity (a party of another job here) did
 * not count against the connection, every one was logged at WARN, and the gRPC health service
 * answered any certificate of the CA. The server jar over mutual TLS.
 */
class ForeignIdentityIT {
  @TempDir Path dir;
  @RegisterExtension final OpenChannels channels = new OpenChannels();

  @Test
  @DisplayName("a foreign identity's refused calls close its connection like any refusal, its log lines are bounded, and the health service refuses it")
  void foreignIdentityIsContained() throws Exception {
    TestPki pki = new TestPki(dir, "fi-job");
    int port = FreePorts.next();
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, "--rounds", "1", "--min-parties", "2",
        "--model", "mlp")) {
      ManagedChannel probe = channels.open(pki, port, "probe");
      server.awaitServing(probe);

      ManagedChannel mallory = channels.add(TestPki.channelTo(port, "fi-job",
          pki.issue(Identity.party(TestPki.DOMAIN, "other-job", "mallory"), "mallory")));

      assertRefused(() -> HealthGrpc.newBlockingStub(mallory).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()), Status.Code.PERMISSION_DENIED, "is a party of job other-job");

      int calls = 200;
      int refused = 0;
      for (int i = 0; i < calls; i++) {
        try {
          FederationGrpc.newBlockingStub(mallory).withDeadlineAfter(10, TimeUnit.SECONDS)
              .join(JoinRequest.newBuilder().setNumSamples(1).build());
        } catch (StatusRuntimeException e) {
          // PERMISSION_DENIED, or UNAVAILABLE when the call met a connection being closed
          refused++;
        }
      }
      assertThat(refused).isEqualTo(calls);
      String log = Files.readString(dir.resolve("server.log"));
      long closed = log.lines().filter(l -> l.contains("closing the connection from")).count();
      long refusalLines = log.lines().filter(l -> l.contains(" WARN  [server ") && l.contains("] PeerIdentityInterceptor: ")).count();
      System.out.printf("foreign identity: %d calls refused, %d connections closed, %d refusal log lines%n",
          refused, closed, refusalLines);
      // 5 refusals close a connection; a call that meets one being closed fails UNAVAILABLE, not a strike
      assertThat(closed).as("connections closed after 5 refusals each").isGreaterThanOrEqualTo(calls / 10);
      assertThat(refusalLines).as("refusal log lines within the budget of 60 a minute").isLessThanOrEqualTo(61);
      // the honest party is still served
      assertThat(FederationGrpc.newBlockingStub(probe).withDeadlineAfter(10, TimeUnit.SECONDS)
          .join(JoinRequest.newBuilder().setNumSamples(1).build()).getJobId()).isEqualTo("fi-job");
    }
  }
}
