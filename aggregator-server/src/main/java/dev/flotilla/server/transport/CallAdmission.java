package dev.flotilla.server.transport;

import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.server.CallerIdentity;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits a Federation call at its start, before the handler asks for any message (so nothing of a
 * refused call is buffered beyond the HTTP/2 flow-control window): the caller must have a verified
 * identity; a party without a slot may only call Join, and not while the job is full
 * ({@link CallAuthorizer}); a party may have at most one SubmitUpdate and at most
 * --max-calls-per-party calls in flight, over all its connections. A refusal is a strike against
 * the connection ({@link RefusalStrikes}), which is closed when they pile up.
 *
 * <p>Runs after the identity interceptor (the caller's identity is in the call's Context).
 */
public final class CallAdmission implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(CallAdmission.class);

  private final String jobId;
  private final CallerIdentity identity;
  private final CallAuthorizer authorizer;
  private final int maxCallsPerParty;
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Set<String> uploading = new HashSet<>();

  public CallAdmission(String jobId, CallerIdentity identity, CallAuthorizer authorizer, int maxCallsPerParty) {
    this.jobId = jobId;
    this.identity = identity;
    this.authorizer = authorizer;
    this.maxCallsPerParty = maxCallsPerParty;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Optional<String> caller = identity.current();
    if (caller.isEmpty()) {
      return refuse(call, "(none)", Status.UNAUTHENTICATED.withDescription(
          "the call carries no verified client certificate identity"));
    }
    String party = caller.get();
    String method = call.getMethodDescriptor().getFullMethodName();
    boolean join = method.equals(FederationGrpc.getJoinMethod().getFullMethodName());
    boolean upload = method.equals(FederationGrpc.getSubmitUpdateMethod().getFullMethodName());
    try {
      authorizer.authorize(party, join);
    } catch (StatusException e) {
      return refuse(call, party, e.getStatus());
    }
    Status limit = take(party, upload);
    if (limit != null) {
      return refuse(call, party, limit);
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        giveBack(party, upload);
      }
    };
    // the place is given back when the server closes the call (before the client can see its status and try
    // again), or when the call is cancelled; every started call ends in one of onComplete or onCancel
    ServerCall<Q, R> releasing = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        release.run();
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(releasing, headers);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          release.run();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          release.run();
        }
      }
    };
  }

  /** Counts a call of the party in, or says which limit it would break. */
  private synchronized Status take(String party, boolean upload) {
    if (upload && uploading.contains(party)) {
      return Status.ALREADY_EXISTS.withDescription("party '" + party + "' already has an update upload in flight in job "
          + jobId + "; a party sends one SubmitUpdate at a time");
    }
    int calls = inFlight.getOrDefault(party, 0);
    if (calls >= maxCallsPerParty) {
      return Status.RESOURCE_EXHAUSTED.withDescription("party '" + party + "' has " + calls + " calls in flight in job "
          + jobId + ", the most --max-calls-per-party allows");
    }
    inFlight.put(party, calls + 1);
    if (upload) {
      uploading.add(party);
    }
    return null;
  }

  private synchronized void giveBack(String party, boolean upload) {
    inFlight.computeIfPresent(party, (p, n) -> n > 1 ? n - 1 : null);
    if (upload) {
      uploading.remove(party);
    }
  }

  /** Calls in flight of a party now (for tests and logs). */
  public synchronized int callsInFlight(String party) {
    return inFlight.getOrDefault(party, 0);
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String party, Status status) {
    log.debug("job {}: refused {} of party '{}' at its start: {} {}", jobId,
        call.getMethodDescriptor().getBareMethodName(), party, status.getCode(), status.getDescription());
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
