package dev.flotilla.server;

import dev.flotilla.protocol.secagg.RoundKeyBinding;
import dev.flotilla.protocol.v1.SecAggPartyMessage;
import dev.flotilla.protocol.v1.SecAggServerMessage;
import dev.flotilla.protocol.v1.SecureAggregationGrpc;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.round.SecureRound;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Inject;

/**
 * The SecureAggregation gRPC service: a party's MaskedRound stream, whose first message (the hello
 * with its keys) names the round and attempt of its TrainRequest; from then on every message goes
 * to that round's {@link SecureRound}, which answers on the stream. The caller is the identity of
 * the connection, never a field; its keys must be bound to that identity, or the party is refused at key
 * advertisement and the round goes on without it.
 */
public final class SecureAggregationService extends SecureAggregationGrpc.SecureAggregationImplBase {

  private final RoundCoordinator coordinator;
  private final CallerIdentity identity;
  private final ServerMetrics metrics;

  @Inject
  public SecureAggregationService(RoundCoordinator coordinator, CallerIdentity identity, ServerMetrics metrics) {
    this.coordinator = coordinator;
    this.identity = identity;
    this.metrics = metrics;
  }

  @Override
  public StreamObserver<SecAggPartyMessage> maskedRound(StreamObserver<SecAggServerMessage> response) {
    ServerCallStreamObserver<SecAggServerMessage> stream = (ServerCallStreamObserver<SecAggServerMessage>) response;
    String party = identity.current().orElse(null);
    // the binding of the round keys must be this connection's identity (RoundKeyBinding.callerProblem)
    java.security.cert.X509Certificate certificate = identity.certificate().orElse(null);
    java.util.concurrent.atomic.AtomicReference<SecureRound> attached = new java.util.concurrent.atomic.AtomicReference<>();
    // set before this method returns, as gRPC requires; a cancelled call also reaches onError
    stream.setOnCancelHandler(() -> {
      SecureRound round = attached.get();
      if (round != null) {
        round.onGone(party, "its MaskedRound stream was cancelled");
      }
    });
    return new StreamObserver<>() {
      private SecureRound round;
      private boolean ended;

      @Override
      public void onNext(SecAggPartyMessage message) {
        if (ended) {
          return;
        }
        metrics.bytesIn(message.getSerializedSize());
        if (round == null) {
          try {
            round = open(party, message);
          } catch (StatusException e) {
            ended = true;
            stream.onError(e);
            return;
          }
          if (!round.attach(party, stream)) {
            ended = true;
            return;
          }
          attached.set(round);
          String problem = certificate == null ? null
              : RoundKeyBinding.callerProblem(message.getHello().getKeys(), certificate, party);
          if (problem != null) {
            ended = true;
            round.refuse(party, "party '" + party + "' advertised keys its certificate does not speak for: " + problem);
            return;
          }
        }
        round.onMessage(party, message);
      }

      @Override
      public void onError(Throwable t) {
        ended = true;
        if (round != null) {
          round.onGone(party, "its MaskedRound stream failed: " + Status.fromThrowable(t));
        }
      }

      @Override
      public void onCompleted() {
        ended = true;
        if (round != null) {
          round.onGone(party, "it ended its MaskedRound stream");
        }
      }
    };
  }

  private SecureRound open(String party, SecAggPartyMessage first) throws StatusException {
    if (party == null) {
      throw Status.UNAUTHENTICATED.withDescription("the call carries no verified client certificate identity")
          .asException();
    }
    if (!first.hasHello()) {
      throw Status.INVALID_ARGUMENT.withDescription("a MaskedRound stream starts with a hello (round, attempt, keys), "
          + "not " + first.getPayloadCase()).asException();
    }
    return coordinator.secureRound(party, first.getHello().getRound(), first.getHello().getAttempt());
  }
}
