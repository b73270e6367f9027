package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.JobPki;
import dev.flotilla.protocol.bulk.BulkWire;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A party that can upload on the bulk port announces it at Join, and when the offered port cannot
 * be reached its update goes by SubmitUpdate instead, as do its later ones.
 */
class BulkFallbackSessionTest {

  private static final List<TensorSpec> LAYOUT = List.of(new TensorSpec("w", new long[] {2, 2}));

  @TempDir
  Path dir;

  private final AtomicReference<JoinRequest> joined = new AtomicReference<>();
  private final List<Long> submittedValues = new CopyOnWriteArrayList<>();
  private final int deadPort = FreePorts.next();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new FederationGrpc.FederationImplBase() {
      @Override
      public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
        joined.set(request);
        response.onNext(JoinResponse.newBuilder().setBulkUploadPort(deadPort).build());
        response.onCompleted();
      }

      @Override
      public StreamObserver<UpdateChunk> submitUpdate(StreamObserver<SubmitUpdateResponse> response) {
        AtomicInteger bytes = new AtomicInteger();
        return new StreamObserver<>() {
          @Override
          public void onNext(UpdateChunk chunk) {
            bytes.addAndGet(chunk.getData().size());
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            submittedValues.add(bytes.get() / 4L);
            response.onNext(SubmitUpdateResponse.newBuilder().setValuesReceived(bytes.get() / 4L).build());
            response.onCompleted();
          }
        };
      }
    }).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private BulkUploader uploader() {
    JobPki pki = JobPki.create(dir, "flotilla.test", "job-1");
    TlsFiles alice = TlsFiles.inDirectory(pki.party("alice"));
    return new BulkUploader("127.0.0.1", null, pki.serverName(), alice, ExpectedPeer.aggregatorOf(alice.identity()));
  }

  @Test
  @DisplayName("with a bulk uploader the party announces bulk-upload/1; an unreachable bulk port sends the update by "
      + "SubmitUpdate, and the next one too")
  void unreachableBulkPortFallsBackToSubmitUpdate() throws Exception {
    try (BulkUploader bulk = uploader()) {
      FederationSession session = new FederationSession(channel, FederationSession.Deadlines.defaults(), bulk);
      session.join(10);
      assertThat(joined.get().getCapabilitiesList()).contains(BulkWire.CAPABILITY);
      UpdateHeader header = UpdateHeader.newBuilder().setRound(1).setNumSamples(10).build();
      float[][] weights = {{1, 2, 3, 4}};
      ByteString ticket = ByteString.copyFrom(new byte[32]);
      assertThat(session.submitUpdate(header, LAYOUT, weights, ticket).getValuesReceived()).isEqualTo(4);
      assertThat(session.submitUpdate(header, LAYOUT, weights, ticket).getValuesReceived()).isEqualTo(4);
      assertThat(submittedValues).containsExactly(4L, 4L);
    }
  }

  @Test
  @DisplayName("without a bulk uploader (--no-bulk-upload) the capability is not announced")
  void noBulkUploader() {
    new FederationSession(channel, FederationSession.Deadlines.defaults()).join(10);
    assertThat(joined.get().getCapabilitiesList()).doesNotContain(BulkWire.CAPABILITY);
  }
}
