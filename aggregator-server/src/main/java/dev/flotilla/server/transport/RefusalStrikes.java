package dev.flotilla.server.transport;

import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * The outermost interceptor: a call that the interceptors inside it (identity, then admission)
 * close before its handler starts is a strike against its connection ({@link Connections}),
 * whoever refused it and why. So a peer that keeps making calls it may not make — a foreign
 * identity as much as a party over its limits — loses its connection, and pays a TLS handshake
 * for the next one.
 */
public final class RefusalStrikes implements ServerInterceptor {

  private final Connections connections;

  public RefusalStrikes(Connections connections) {
    this.connections = connections;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    StartWatch<Q, R> watched = new StartWatch<>(call);
    ServerCall.Listener<Q> listener = next.startCall(watched, headers);
    watched.started = true;
    Status refusal = watched.closedAtStart;
    if (refusal != null) {
      connections.strike(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
          call.getMethodDescriptor().getBareMethodName() + ": " + refusal.getCode() + " " + refusal.getDescription());
    }
    return listener;
  }

  /** Notes a close that happens while the call is being started, i.e. a refusal before its handler ran. */
  private static final class StartWatch<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    volatile boolean started;
    volatile Status closedAtStart;

    StartWatch(ServerCall<Q, R> call) {
      super(call);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!started && !status.isOk()) {
        closedAtStart = status;
      }
      super.close(status, trailers);
    }
  }
}
