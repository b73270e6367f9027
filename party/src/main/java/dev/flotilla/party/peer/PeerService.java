package dev.flotilla.party.peer;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.PeerIdentity;
import dev.flotilla.protocol.v1.ExchangeRequest;
import dev.flotilla.protocol.v1.ExchangeResponse;
import dev.flotilla.protocol.v1.HelloRequest;
import dev.flotilla.protocol.v1.HelloResponse;
import dev.flotilla.protocol.v1.PeerGrpc;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;

/** The calls of a party's peer endpoint; the caller is the identity {@code PartyPeerInterceptor} admitted. */
final class PeerService extends PeerGrpc.PeerImplBase {
  private final Identity self;
  private final PeerInbox inbox;

  PeerService(Identity self, PeerInbox inbox) {
    this.self = self;
    this.inbox = inbox;
  }

  @Override
  public void hello(HelloRequest request, StreamObserver<HelloResponse> response) {
    response.onNext(HelloResponse.newBuilder().setIdentity(self.uri()).setCaller(PeerIdentity.current().uri()).build());
    response.onCompleted();
  }

  @Override
  public void exchange(ExchangeRequest request, StreamObserver<ExchangeResponse> response) {
    try {
      long held = inbox.put(PeerIdentity.current().uri(), request.getRound(), request.getTopic(),
          request.getPayload().toByteArray());
      response.onNext(ExchangeResponse.newBuilder().setBytesHeld(held).build());
      response.onCompleted();
    } catch (StatusException e) {
      response.onError(e);
    }
  }
}
