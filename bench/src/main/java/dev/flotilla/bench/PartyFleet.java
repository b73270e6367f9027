package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Parties as lightweight gRPC clients in one process: each its own certificate and mTLS
 * connection; each round each fetches the global model (counting its bytes and handing each chunk
 * to the {@link FleetScript}) and uploads the script's update, flow-controlled (a chunk is made and
 * handed to gRPC only while the stream is ready), checking that the server received every value.
 */
final class PartyFleet implements AutoCloseable {

  private final List<ManagedChannel> channels;
  private final FleetScript script;
  private final UpdateHeader header;
  private final long modelBytes;
  private final AtomicLong uploaded = new AtomicLong();
  private final AtomicLong fetched = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private PartyFleet(List<ManagedChannel> channels, FleetScript script, List<TensorSpec> layout) {
    this.channels = channels;
    this.script = script;
    this.header = UpdateHeader.newBuilder().addAllTensors(TensorChunks.infos(layout)).build();
    this.modelBytes = layout.stream().mapToLong(TensorSpec::elementCount).sum() * Float.BYTES;
  }

  /** Connects every party and joins it (waiting for the server to listen) to a job of this model layout. */
  static PartyFleet connect(int port, List<TlsFiles> parties, List<TensorSpec> layout, FleetScript script,
      ServerUnderTest server) throws InterruptedException {
    server.awaitListening(port);
    List<ManagedChannel> channels = new ArrayList<>();
    PartyFleet fleet = new PartyFleet(channels, script, layout);
    try {
      for (TlsFiles files : parties) {
        ManagedChannel channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, Pki.SERVER_NAME, files, Pki.AGGREGATOR)
            .build();
        long samples = script.samples(channels.size());
        channels.add(channel);
        for (int attempt = 1; ; attempt++) {
          try {
            FederationGrpc.newBlockingStub(channel).withWaitForReady().withDeadlineAfter(10, TimeUnit.SECONDS)
                .join(JoinRequest.newBuilder().setNumSamples(samples).build());
            break;
          } catch (io.grpc.StatusRuntimeException e) {
            server.requireAlive(); // still starting: try again; gone: say why
            if (attempt == 30) {
              throw e;
            }
          }
        }
      }
    } catch (RuntimeException e) {
      fleet.close();
      throw e;
    }
    return fleet;
  }

  long bytesUploaded() {
    return uploaded.get();
  }

  long bytesFetched() {
    return fetched.get();
  }

  /** Opens every party's Rounds stream and trains (fetch, upload) each round until the job finishes. */
  void runJob(boolean fetch, long timeoutNanos, ServerUnderTest server) throws InterruptedException {
    CountDownLatch finished = new CountDownLatch(channels.size());
    for (int party = 0; party < channels.size(); party++) {
      ManagedChannel channel = channels.get(party);
      FederationGrpc.FederationStub stub = FederationGrpc.newStub(channel);
      int p = party;
      stub.rounds(RoundsRequest.getDefaultInstance(), new StreamObserver<>() {
        @Override
        public void onNext(RoundEvent event) {
          if (event.hasTrain()) {
            train(stub, p, event.getTrain(), fetch);
          } else if (event.hasFinished()) {
            finished.countDown();
          }
        }

        @Override
        public void onError(Throwable t) {
          failure.compareAndSet(null, new IllegalStateException("Rounds stream of " + channel.authority(), t));
          finished.countDown();
        }

        @Override
        public void onCompleted() {}
      });
    }
    long deadline = System.nanoTime() + timeoutNanos;
    while (!finished.await(1, TimeUnit.SECONDS)) {
      server.requireAlive();
      if (failure.get() != null) {
        throw new IllegalStateException("a party failed", failure.get());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the job did not finish in time; the server's log:\n" + server.tail());
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a party failed", failure.get());
    }
  }

  private void train(FederationGrpc.FederationStub stub, int party, TrainRequest train, boolean fetch) {
    int round = train.getRound();
    if (!fetch) {
      upload(stub, party, round);
      return;
    }
    ClientResponseObserver<FetchModelRequest, ModelChunk> download = new ClientResponseObserver<>() {
      private ClientCallStreamObserver<FetchModelRequest> call;
      private long offset;

      @Override
      public void beforeStart(ClientCallStreamObserver<FetchModelRequest> call) {
        this.call = call;
      }

      @Override
      public void onNext(ModelChunk chunk) {
        ByteString data = chunk.getData();
        try {
          script.fetched(party, round, offset, data);
        } catch (RuntimeException | AssertionError wrong) {
          failure.compareAndSet(null, new IllegalStateException("party " + party + " fetched a wrong model in round "
              + round, wrong));
          call.cancel("the fetched model is not what the party expected", wrong);
        }
        offset += data.size();
        fetched.addAndGet(data.size());
      }

      @Override
      public void onError(Throwable t) {
        failure.compareAndSet(null, new IllegalStateException("FetchModel of round " + round, t));
      }

      @Override
      public void onCompleted() {
        if (offset != modelBytes) {
          failure.compareAndSet(null, new IllegalStateException("party " + party + " fetched " + offset
              + " bytes of values in round " + round + ", the model has " + modelBytes));
          return;
        }
        upload(stub, party, round);
      }
    };
    stub.fetchModel(FetchModelRequest.newBuilder().setModelVersion(train.getModelVersion()).build(), download);
  }

  private void upload(FederationGrpc.FederationStub stub, int party, int round) {
    Iterator<ByteString> chunks = script.update(party, round);
    UpdateChunk first = UpdateChunk.newBuilder()
        .setHeader(header.toBuilder().setRound(round).setNumSamples(script.samples(party))).build();
    stub.submitUpdate(new ClientResponseObserver<UpdateChunk, SubmitUpdateResponse>() {
      private boolean headerSent;
      private boolean completed;
      private volatile long bytes; // written by the ready handler, read when the answer arrives

      @Override
      public void beforeStart(ClientCallStreamObserver<UpdateChunk> out) {
        out.setOnReadyHandler(() -> {
          while (out.isReady() && !completed) {
            if (!headerSent) {
              out.onNext(first);
              headerSent = true;
            } else if (chunks.hasNext()) {
              ByteString data = chunks.next();
              out.onNext(UpdateChunk.newBuilder().setData(data).build());
              bytes += data.size();
              uploaded.addAndGet(data.size());
            } else {
              completed = true;
              out.onCompleted();
            }
          }
        });
      }

      @Override
      public void onNext(SubmitUpdateResponse response) {
        // read after onCompleted was sent: the server answers only once the stream has ended
        if (response.getValuesReceived() * Float.BYTES != bytes) {
          failure.compareAndSet(null, new IllegalStateException("party " + party + " sent " + bytes / Float.BYTES
              + " values in round " + round + " but the server received " + response.getValuesReceived()));
        }
      }

      @Override
      public void onError(Throwable t) {
        failure.compareAndSet(null, new IllegalStateException("SubmitUpdate of round " + round, t));
      }

      @Override
      public void onCompleted() {}
    });
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
  }
}
