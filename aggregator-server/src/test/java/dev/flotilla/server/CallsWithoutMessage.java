package dev.flotilla.server;

import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Calls that are started (their HEADERS sent) but never send a message, as a test of call admission
 * holds them open; the ones still open are cancelled after each test. Register it on an instance
 * field: {@code @RegisterExtension final CallsWithoutMessage calls = new CallsWithoutMessage();}
 */
public final class CallsWithoutMessage implements AfterEachCallback {

  private final Map<CompletableFuture<Status>, ClientCall<?, ?>> calls = new LinkedHashMap<>();

  /**
   * Starts a call of {@code method} that sends no message; completes with the status it ends with.
   * grpc-java holds back the HEADERS of a unary call until its message, so the method is declared
   * client-streaming on this side (the server routes by name and treats it as it is).
   */
  public <Q, R> CompletableFuture<Status> open(Channel channel, MethodDescriptor<Q, R> method) {
    MethodDescriptor<Q, R> eager = method.toBuilder().setType(MethodDescriptor.MethodType.CLIENT_STREAMING).build();
    ClientCall<Q, R> call = channel.newCall(eager, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    calls.put(closed, call);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    return closed;
  }

  /** Cancels the call {@link #open} returned {@code closed} for. */
  public void cancel(CompletableFuture<Status> closed) {
    calls.get(closed).cancel("done", null);
  }

  /** Cancels every call opened so far. */
  public void cancelAll() {
    calls.values().forEach(c -> c.cancel("done", null));
  }

  /** Waits (10 s at most) until the call has ended; returns its status. */
  public static Status awaitEnd(CompletableFuture<Status> call) {
    await().atMost(Duration.ofSeconds(10)).until(call::isDone);
    return call.join();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    calls.values().forEach(c -> c.cancel("test over", null));
    calls.clear();
  }
}
