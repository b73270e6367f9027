package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.model.SafetensorsHeader;
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
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Parties as lightweight gRPC clients in one process: each its own certificate and mTLS
 * connection; each round each fetches the global model (counting and dropping the bytes) and
 * uploads the same update, sliced from one read-only mapping of the initial model's data section,
 * flow-controlled (a chunk is handed to gRPC only while the stream is ready).
 */
final class PartyFleet implements AutoCloseable {

  /** Bytes per mapping of the model file: a multiple of the chunk size, so no chunk straddles two. */
  private static final long SEGMENT_BYTES = 1024L * TensorChunks.MAX_CHUNK_BYTES;

  private final List<ManagedChannel> channels;
  private final List<ByteString> dataChunks;
  private final UpdateHeader header;
  private final AtomicLong uploaded = new AtomicLong();
  private final AtomicLong fetched = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private PartyFleet(List<ManagedChannel> channels, List<ByteString> dataChunks, UpdateHeader header) {
    this.channels = channels;
    this.dataChunks = dataChunks;
    this.header = header;
  }

  /** Maps the model, connects every party and joins it (waiting for the server to listen). */
  static PartyFleet connect(int port, List<TlsFiles> parties, Path modelFile, SafetensorsHeader model, int chunkBytes,
      ServerUnderTest server) throws IOException {
    if (chunkBytes <= 0 || chunkBytes > TensorChunks.MAX_CHUNK_BYTES || chunkBytes % Float.BYTES != 0
        || SEGMENT_BYTES % chunkBytes != 0) {
      throw new IllegalArgumentException("chunk size " + chunkBytes + " must divide " + TensorChunks.MAX_CHUNK_BYTES
          + " into whole float32 values");
    }
    List<ByteString> chunks = new ArrayList<>();
    try (FileChannel file = FileChannel.open(modelFile, StandardOpenOption.READ)) {
      long end = model.dataStart() + model.dataBytes();
      for (long segment = model.dataStart(); segment < end; segment += SEGMENT_BYTES) {
        MappedByteBuffer mapped = file.map(FileChannel.MapMode.READ_ONLY, segment, Math.min(SEGMENT_BYTES, end - segment));
        for (int at = 0; at < mapped.capacity(); at += chunkBytes) {
          int n = Math.min(chunkBytes, mapped.capacity() - at);
          chunks.add(UnsafeByteOperations.unsafeWrap(mapped.slice(at, n).asReadOnlyBuffer()));
        }
      }
    }
    UpdateHeader header = UpdateHeader.newBuilder().setNumSamples(100)
        .addAllTensors(TensorChunks.infos(model.layout())).build();
    List<ManagedChannel> channels = new ArrayList<>();
    PartyFleet fleet = new PartyFleet(channels, chunks, header);
    try {
      for (TlsFiles files : parties) {
        ManagedChannel channel = MutualTlsChannels.forTarget("127.0.0.1:" + port, Pki.SERVER_NAME, files, Pki.AGGREGATOR)
            .build();
        channels.add(channel);
        for (int attempt = 1; ; attempt++) {
          try {
            FederationGrpc.newBlockingStub(channel).withWaitForReady().withDeadlineAfter(10, TimeUnit.SECONDS)
                .join(JoinRequest.newBuilder().setNumSamples(100).build());
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
  void runJob(boolean fetch, int rounds, long timeoutNanos, ServerUnderTest server) throws InterruptedException {
    CountDownLatch finished = new CountDownLatch(channels.size());
    for (ManagedChannel channel : channels) {
      FederationGrpc.FederationStub stub = FederationGrpc.newStub(channel);
      stub.rounds(RoundsRequest.getDefaultInstance(), new StreamObserver<>() {
        @Override
        public void onNext(RoundEvent event) {
          if (event.hasTrain()) {
            train(stub, event.getTrain(), fetch);
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

  private void train(FederationGrpc.FederationStub stub, TrainRequest train, boolean fetch) {
    if (!fetch) {
      upload(stub, train.getRound());
      return;
    }
    stub.fetchModel(FetchModelRequest.newBuilder().setModelVersion(train.getModelVersion()).build(), new StreamObserver<>() {
      @Override
      public void onNext(ModelChunk chunk) {
        fetched.addAndGet(chunk.getData().size());
      }

      @Override
      public void onError(Throwable t) {
        failure.compareAndSet(null, new IllegalStateException("FetchModel of round " + train.getRound(), t));
      }

      @Override
      public void onCompleted() {
        upload(stub, train.getRound());
      }
    });
  }

  private void upload(FederationGrpc.FederationStub stub, int round) {
    stub.submitUpdate(new ClientResponseObserver<UpdateChunk, SubmitUpdateResponse>() {
      private int next = -1; // -1: the header

      @Override
      public void beforeStart(ClientCallStreamObserver<UpdateChunk> out) {
        out.setOnReadyHandler(() -> {
          while (out.isReady() && next < dataChunks.size()) {
            if (next < 0) {
              out.onNext(UpdateChunk.newBuilder().setHeader(header.toBuilder().setRound(round)).build());
            } else {
              ByteString data = dataChunks.get(next);
              out.onNext(UpdateChunk.newBuilder().setData(data).build());
              uploaded.addAndGet(data.size());
            }
            if (++next == dataChunks.size()) {
              out.onCompleted();
            }
          }
        });
      }

      @Override
      public void onNext(SubmitUpdateResponse response) {}

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
