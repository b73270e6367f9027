package dev.flotilla.e2e.ingress;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.ModelChunk;
import dev.flotilla.protocol.v1.ModelHeader;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TensorInfo;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32;

/**
 * Large models over the real Federation service definition: a service whose FetchModel streams a
 * model of any size and whose SubmitUpdate takes one, both flow-controlled in 1 MiB chunks as the
 * aggregator and the party do, with a CRC32 of the bytes so a test sees that what arrived is what
 * was sent. The aggregator's own layouts are small (mlp, cnn); this lets a test choose 256 MiB.
 */
final class BulkTransfer {

  static final int CHUNK = 1 << 20;
  static final long MIB = 1L << 20;

  private BulkTransfer() {}

  /** What one side received: bytes, their CRC32 and how long it took. */
  record Result(long bytes, long crc32, double seconds) {
    double mibPerSecond() {
      return bytes / (double) MIB / seconds;
    }
  }

  /** Chunk {@code index} of a model: deterministic, different per chunk. */
  static ByteString chunk(long index, int size) {
    byte[] data = new byte[size];
    long x = index * 0x9E3779B97F4A7C15L + 1;
    for (int i = 0; i < size; i += 8) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      for (int b = 0; b < 8 && i + b < size; b++) {
        data[i + b] = (byte) (x >>> (8 * b));
      }
    }
    return ByteString.copyFrom(data);
  }

  /** The CRC32 of a model of {@code bytes} made of {@link #chunk} chunks. */
  static long expectedCrc(long bytes) {
    CRC32 crc = new CRC32();
    long chunks = (bytes + CHUNK - 1) / CHUNK;
    for (long i = 0; i < chunks; i++) {
      crc.update(chunk(i, (int) Math.min(CHUNK, bytes - i * CHUNK)).asReadOnlyByteBuffer());
    }
    return crc.getValue();
  }

  static TensorInfo tensor(long bytes) {
    return TensorInfo.newBuilder().setName("big.weight").addShape(bytes / 4).build();
  }

  /** FetchModel sends a model of {@code modelBytes}; SubmitUpdate records what it got in {@link #lastUpload}. */
  static final class Service extends FederationGrpc.FederationImplBase {
    private final long modelBytes;
    volatile Result lastUpload;

    Service(long modelBytes) {
      this.modelBytes = modelBytes;
    }

    @Override
    public void fetchModel(FetchModelRequest request, StreamObserver<ModelChunk> observer) {
      ServerCallStreamObserver<ModelChunk> out = (ServerCallStreamObserver<ModelChunk>) observer;
      long chunks = (modelBytes + CHUNK - 1) / CHUNK;
      long[] next = {-1};
      ByteString[] cache = new ByteString[1];
      Runnable drain = new Runnable() {
        @Override
        public synchronized void run() {
          while (out.isReady() && next[0] < chunks) {
            if (next[0] < 0) {
              out.onNext(ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
                  .setModelVersion(request.getModelVersion()).addTensors(tensor(modelBytes))).build());
            } else {
              long i = next[0];
              out.onNext(ModelChunk.newBuilder().setData(chunk(i, (int) Math.min(CHUNK, modelBytes - i * CHUNK))).build());
            }
            next[0]++;
          }
          if (next[0] == chunks) {
            next[0]++;
            out.onCompleted();
          }
        }
      };
      out.setOnCancelHandler(() -> { });
      out.setOnReadyHandler(drain);
      drain.run();
    }

    @Override
    public StreamObserver<UpdateChunk> submitUpdate(StreamObserver<SubmitUpdateResponse> response) {
      long started = System.nanoTime();
      CRC32 crc = new CRC32();
      long[] received = {0};
      int[] round = {-1};
      return new StreamObserver<>() {
        @Override
        public void onNext(UpdateChunk chunk) {
          if (chunk.hasHeader()) {
            round[0] = chunk.getHeader().getRound();
          } else {
            crc.update(chunk.getData().asReadOnlyByteBuffer());
            received[0] += chunk.getData().size();
          }
        }

        @Override
        public void onError(Throwable t) {
          lastUpload = null;
        }

        @Override
        public void onCompleted() {
          lastUpload = new Result(received[0], crc.getValue(), (System.nanoTime() - started) / 1e9);
          response.onNext(SubmitUpdateResponse.newBuilder().setRound(round[0]).setValuesReceived(received[0] / 4).build());
          response.onCompleted();
        }
      };
    }
  }

  /** Fetches a model through {@code channel}; returns what arrived. */
  static Result fetch(Channel channel, long timeoutSeconds) {
    long started = System.nanoTime();
    Iterator<ModelChunk> chunks = FederationGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
        .fetchModel(FetchModelRequest.newBuilder().setModelVersion(1).build());
    CRC32 crc = new CRC32();
    long bytes = 0;
    while (chunks.hasNext()) {
      ModelChunk chunk = chunks.next();
      if (chunk.hasData()) {
        crc.update(chunk.getData().asReadOnlyByteBuffer());
        bytes += chunk.getData().size();
      }
    }
    return new Result(bytes, crc.getValue(), (System.nanoTime() - started) / 1e9);
  }

  /** Uploads an update of {@code bytes} through {@code channel}, flow-controlled; returns the server's answer. */
  static SubmitUpdateResponse submit(Channel channel, long bytes, long timeoutSeconds) throws Exception {
    CompletableFuture<SubmitUpdateResponse> done = new CompletableFuture<>();
    long chunks = (bytes + CHUNK - 1) / CHUNK;
    FederationGrpc.newStub(channel).withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS).submitUpdate(
        new ClientResponseObserver<UpdateChunk, SubmitUpdateResponse>() {
          long next = -1;
          SubmitUpdateResponse response;

          @Override
          public void beforeStart(ClientCallStreamObserver<UpdateChunk> out) {
            out.setOnReadyHandler(() -> {
              synchronized (this) {
                while (out.isReady() && next < chunks) {
                  if (next < 0) {
                    out.onNext(UpdateChunk.newBuilder().setHeader(UpdateHeader.newBuilder().setRound(1)
                        .setNumSamples(1).addTensors(tensor(bytes))).build());
                  } else {
                    out.onNext(UpdateChunk.newBuilder()
                        .setData(chunk(next, (int) Math.min(CHUNK, bytes - next * CHUNK))).build());
                  }
                  next++;
                }
                if (next == chunks) {
                  next++;
                  out.onCompleted();
                }
              }
            });
          }

          @Override
          public void onNext(SubmitUpdateResponse value) {
            response = value;
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(response);
          }
        });
    try {
      return done.get(timeoutSeconds + 5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription("upload of " + bytes + " bytes").asException();
    }
  }
}
