package dev.flotilla.party.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.ModelAssembler;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.protocol.v1.EvaluationReport;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.FetchModelRequest;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.RoundsRequest;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One connection to the aggregator: a channel, the party's Rounds stream, and the calls made while
 * it lives. Every call has a deadline; the Rounds stream, which is the party's liveness signal and
 * lives as long as the job, has a long one and is reopened with a rejoin when it ends. Uploads
 * respect flow control: a chunk is sent only while the transport reports it ready, so at most a
 * chunk or so is buffered whatever the model size.
 */
public final class FederationSession implements AutoCloseable {

  /** What the Rounds stream delivered: an event, or its end (with the status it ended with). */
  public sealed interface Incoming {
    record Event(RoundEvent event) implements Incoming {}

    record Ended(Status status) implements Incoming {}
  }

  /** Deadlines of the calls; a record so tests and the module can tune them. */
  public record Deadlines(Duration join, Duration fetch, Duration submit, Duration report, Duration rounds) {
    public static Deadlines defaults() {
      return new Deadlines(Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofMinutes(5),
          Duration.ofSeconds(30), Duration.ofHours(12));
    }
  }

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(FederationSession.class);

  private final ManagedChannel channel;
  private final BulkUploader bulk;
  /** The bulk-upload port offered at Join; 0 when none is, or once it could not be reached. */
  private volatile int bulkPort;
  private final Deadlines deadlines;
  private final FederationGrpc.FederationStub asyncStub;
  private final FederationGrpc.FederationBlockingStub blockingStub;
  private final BlockingQueue<Incoming> incoming = new LinkedBlockingQueue<>();
  private final AtomicReference<ClientCallStreamObserver<RoundsRequest>> roundsCall = new AtomicReference<>();
  private java.util.function.Consumer<JoinRequest.Builder> peerAnnouncement;

  public FederationSession(ManagedChannel channel, Deadlines deadlines) {
    this(channel, deadlines, null);
  }

  /** Also uploading on the aggregator's bulk-upload port when it offers one ({@code bulk} null: never). */
  public FederationSession(ManagedChannel channel, Deadlines deadlines, BulkUploader bulk) {
    this.bulk = bulk;
    this.channel = channel;
    this.deadlines = deadlines;
    this.asyncStub = FederationGrpc.newStub(channel);
    this.blockingStub = FederationGrpc.newBlockingStub(channel);
  }

  /** Adds what the party announces about its peer endpoint to every Join of this session. */
  public void announcePeer(java.util.function.Consumer<JoinRequest.Builder> announcement) {
    this.peerAnnouncement = announcement;
  }

  public JoinResponse join(long numSamples) {
    JoinRequest.Builder request = JoinRequest.newBuilder().setNumSamples(numSamples).addAllCapabilities(WireEncoding.NAMES)
        .addCapabilities(dev.flotilla.protocol.secagg.SecAggParams.CAPABILITY);
    if (peerAnnouncement != null) {
      peerAnnouncement.accept(request);
    }
    if (bulk != null) {
      request.addCapabilities(dev.flotilla.protocol.bulk.BulkWire.CAPABILITY);
    }
    JoinResponse response = blockingStub.withDeadlineAfter(deadlines.join().toMillis(), TimeUnit.MILLISECONDS)
        .join(request.build());
    bulkPort = bulk == null ? 0 : response.getBulkUploadPort();
    return response;
  }

  /** Opens the Rounds stream; its events and its end arrive through {@link #nextIncoming}. */
  public void openRounds() {
    asyncStub.withDeadlineAfter(deadlines.rounds().toMillis(), TimeUnit.MILLISECONDS)
        .rounds(RoundsRequest.getDefaultInstance(), new ClientResponseObserver<RoundsRequest, RoundEvent>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<RoundsRequest> requestStream) {
            roundsCall.set(requestStream);
          }

          @Override
          public void onNext(RoundEvent event) {
            incoming.add(new Incoming.Event(event));
          }

          @Override
          public void onError(Throwable t) {
            incoming.add(new Incoming.Ended(Status.fromThrowable(t)));
          }

          @Override
          public void onCompleted() {
            incoming.add(new Incoming.Ended(Status.UNAVAILABLE.withDescription("the server closed the Rounds stream")));
          }
        });
  }

  /** The next thing the Rounds stream delivered, or null after {@code timeout}. */
  public Incoming nextIncoming(Duration timeout) throws InterruptedException {
    return incoming.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A later event already waiting behind the current one, without removing it; null if none. */
  public Incoming peekIncoming() {
    return incoming.peek();
  }

  /**
   * The global model a TrainRequest names: the values it carries when the server sent the model
   * along (small models), else downloaded with {@link #fetchModel}; checked against the layout.
   *
   * @throws TensorStreamException if the values do not match the layout
   */
  public ModelAssembler.Decoded modelFor(dev.flotilla.protocol.v1.TrainRequest request, List<TensorSpec> layout)
      throws TensorStreamException {
    if (!request.getModelValues().isEmpty()) {
      return ModelAssembler.fromValues(layout, request.getModelVersion(), request.getModelValues());
    }
    return fetchModel(request.getModelVersion(), layout);
  }

  /**
   * Downloads a model version and checks it against the layout.
   *
   * @throws TensorStreamException if the stream does not match the layout
   */
  public ModelAssembler.Decoded fetchModel(long version, List<TensorSpec> layout) throws TensorStreamException {
    Iterator<dev.flotilla.protocol.v1.ModelChunk> chunks = blockingStub
        .withDeadlineAfter(deadlines.fetch().toMillis(), TimeUnit.MILLISECONDS)
        .fetchModel(FetchModelRequest.newBuilder().setModelVersion(version).build());
    ModelAssembler.Decoded decoded = ModelAssembler.readAll(layout, chunks);
    if (decoded.modelVersion() != version) {
      throw new TensorStreamException("asked for model version " + version + " but the server sent version "
          + decoded.modelVersion());
    }
    return decoded;
  }

  /**
   * Uploads an update (header, then chunks as flow control allows, its values in the header's
   * encoding) and waits for the server's answer.
   */
  public SubmitUpdateResponse submitUpdate(UpdateHeader header, List<TensorSpec> layout, float[][] weights)
      throws InterruptedException {
    return submitUpdate(header, layout, weights, ByteString.EMPTY);
  }

  /**
   * The same on the bulk-upload port when the server offered one and {@code ticket} (the
   * TrainRequest's) is not empty; a refusal there is thrown as SubmitUpdate's would be. When the
   * port cannot be reached the update goes by SubmitUpdate, as do the rest of this session's.
   */
  public SubmitUpdateResponse submitUpdate(UpdateHeader header, List<TensorSpec> layout, float[][] weights,
      ByteString ticket) throws InterruptedException {
    int port = bulkPort;
    if (port > 0 && !ticket.isEmpty()) {
      try {
        return bulk.upload(port, ticket, () -> TensorChunks.updateStream(header, layout, weights),
            deadlines.submit());
      } catch (StatusException e) {
        throw e.getStatus().asRuntimeException();
      } catch (java.io.IOException e) {
        bulkPort = 0;
        log.warn("the bulk-upload port {} failed ({}); this and later updates go by SubmitUpdate",
            bulk.describe(port), e.getMessage());
      }
    }
    Iterator<UpdateChunk> chunks = TensorChunks.updateStream(header, layout, weights);
    CompletableFuture<SubmitUpdateResponse> result = new CompletableFuture<>();
    asyncStub.withDeadlineAfter(deadlines.submit().toMillis(), TimeUnit.MILLISECONDS)
        .submitUpdate(new ClientResponseObserver<UpdateChunk, SubmitUpdateResponse>() {
          private boolean halfClosed;

          @Override
          public void beforeStart(ClientCallStreamObserver<UpdateChunk> requestStream) {
            // grpc calls the handler serially, whenever the transport can take more
            requestStream.setOnReadyHandler(() -> {
              while (!halfClosed && requestStream.isReady() && chunks.hasNext()) {
                requestStream.onNext(chunks.next());
              }
              if (!halfClosed && !chunks.hasNext()) {
                halfClosed = true;
                requestStream.onCompleted();
              }
            });
          }

          @Override
          public void onNext(SubmitUpdateResponse response) {
            result.complete(response);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(Status.INTERNAL
                .withDescription("the server ended SubmitUpdate without a response").asRuntimeException());
          }
        });
    return await(result, deadlines.submit().plusMinutes(1));
  }

  /**
   * Opens the masked round of a TrainRequest that carries a secure-aggregation assignment; each of its
   * waits lasts at most until the round's deadline plus the submit deadline; {@code binding} binds the round keys
   * to the party's TLS identity (null: an in-process party, see SecureRoundClient), and {@code shares} delivers
   * its shares over the peer channel where it can.
   */
  public dev.flotilla.protocol.secagg.SecureRoundClient openMaskedRound(dev.flotilla.protocol.v1.TrainRequest request,
      dev.flotilla.protocol.secagg.RoundKeyBinding binding, dev.flotilla.protocol.secagg.ShareCourier shares) {
    long untilDeadline = Math.max(0, request.getDeadlineUnixMillis() - System.currentTimeMillis());
    Duration wait = Duration.ofMillis(untilDeadline).plus(deadlines.submit());
    return new dev.flotilla.protocol.secagg.SecureRoundClient(channel, request, wait.plus(deadlines.submit()), wait,
        binding, shares);
  }

  /** Tells the server this party will not submit for the round attempt (its reason at most 500 characters). */
  public void declineRound(int round, int attempt, String reason) {
    dev.flotilla.protocol.v1.DeclineRoundResponse ignored = blockingStub
        .withDeadlineAfter(deadlines.report().toMillis(), TimeUnit.MILLISECONDS)
        .declineRound(dev.flotilla.protocol.v1.DeclineRoundRequest.newBuilder().setRound(round).setAttempt(attempt)
            .setReason(reason).build());
  }

  public void reportEvaluation(EvaluationReport report) {
    Empty ignored = blockingStub.withDeadlineAfter(deadlines.report().toMillis(), TimeUnit.MILLISECONDS)
        .reportEvaluation(report);
  }

  private static <T> T await(CompletableFuture<T> future, Duration limit) throws InterruptedException {
    try {
      // the call's own deadline bounds this wait; the margin only guards against a lost callback
      return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof StatusRuntimeException sre) {
        throw sre;
      }
      throw Status.fromThrowable(cause).asRuntimeException();
    } catch (TimeoutException | CancellationException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription("no answer to SubmitUpdate").asRuntimeException();
    }
  }

  @Override
  public void close() {
    ClientCallStreamObserver<RoundsRequest> call = roundsCall.get();
    if (call != null) {
      call.cancel("party closing the session", null);
    }
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
