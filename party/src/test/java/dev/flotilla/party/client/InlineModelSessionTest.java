package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The party takes a small global model from its TrainRequest and calls FetchModel only when none came along. */
class InlineModelSessionTest {

  private static final List<TensorSpec> LAYOUT = List.of(new TensorSpec("w", new long[] {2, 2}),
      new TensorSpec("b", new long[] {2}));
  private static final float[][] SERVED = {{9, 8, 7, 6}, {5, 4}};

  private final AtomicInteger fetches = new AtomicInteger();
  private Server server;
  private ManagedChannel channel;

  private static ByteString floats(float[][] tensors) {
    ByteBuffer b = ByteBuffer.allocate(6 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] t : tensors) {
      for (float v : t) {
        b.putFloat(v);
      }
    }
    return ByteString.copyFrom(b.array());
  }

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new FederationGrpc.FederationImplBase() {
      @Override
      public void fetchModel(FetchModelRequest request, StreamObserver<ModelChunk> response) {
        fetches.incrementAndGet();
        response.onNext(ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
            .setModelVersion(request.getModelVersion()).addAllTensors(TensorChunks.infos(LAYOUT))).build());
        response.onNext(ModelChunk.newBuilder().setData(floats(SERVED)).build());
        response.onCompleted();
      }
    }).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  @DisplayName("model values inside the TrainRequest are the round's model: no FetchModel call is made")
  void inlineValuesNeedNoFetch() throws Exception {
    FederationSession session = new FederationSession(channel, FederationSession.Deadlines.defaults());
    float[][] inline = {{1, 2, 3, 4}, {-1, 0.25f}};
    ModelAssembler.Decoded model = session.modelFor(TrainRequest.newBuilder().setRound(3).setModelVersion(2)
        .setModelValues(floats(inline)).build(), LAYOUT);
    assertThat(model.modelVersion()).isEqualTo(2);
    assertThat(model.tensors()).isDeepEqualTo(inline);
    assertThat(fetches).hasValue(0);
  }

  @Test
  @DisplayName("a TrainRequest without model values (a large model, an older server) is served by FetchModel")
  void noValuesMeansFetch() throws Exception {
    FederationSession session = new FederationSession(channel, FederationSession.Deadlines.defaults());
    ModelAssembler.Decoded model = session.modelFor(TrainRequest.newBuilder().setRound(3).setModelVersion(2).build(),
        LAYOUT);
    assertThat(model.modelVersion()).isEqualTo(2);
    assertThat(model.tensors()).isDeepEqualTo(SERVED);
    assertThat(fetches).hasValue(1);
  }
}
