package dev.flotilla.party.virtual;

import dev.flotilla.protocol.v1.FederationGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.Semaphore;

/**
 * Bounds how many virtual parties hold a fetched global model at once. At the job's end every party
 * fetches the final model (a model's worth of floats each) and then waits for a pooled trainer to
 * evaluate it, so without a bound the heap held one model per party. A party's FetchModel call waits for
 * a permit here; the party gives it back when its trainer is done with the model ({@link #release()},
 * called by {@link VirtualTrainer}), or when the call fails.
 */
public final class ModelFetchGate implements ClientInterceptor {

  private final Semaphore permits;
  /** The party threads that hold a permit (a party fetches on its own thread). */
  private final java.util.Set<Thread> holding = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A gate for parties whose channels it does not intercept: {@link #release()} is then a no-op. A party process
   * hosts its K virtual parties on channels of their own, and K is small beside the simulator's thousands.
   */
  public static ModelFetchGate notIntercepting() {
    return new ModelFetchGate(1);
  }

  public ModelFetchGate(int permits) {
    this.permits = new Semaphore(permits, true);
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (!method.getFullMethodName().equals(FederationGrpc.getFetchModelMethod().getFullMethodName())) {
      return next.newCall(method, options);
    }
    // the party's own thread makes the (blocking) call: it waits here, holding nothing yet
    Thread caller = Thread.currentThread();
    if (!holding.contains(caller)) {
      permits.acquireUninterruptibly();
      holding.add(caller);
    }
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(new SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            if (!status.isOk()) {
              release(caller);
            }
            super.onClose(status, trailers);
          }
        }, headers);
      }
    };
  }

  /** The calling party is done with the model it fetched (a no-op when it holds no permit). */
  public void release() {
    release(Thread.currentThread());
  }

  private void release(Thread party) {
    if (holding.remove(party)) {
      permits.release();
    }
  }
}
