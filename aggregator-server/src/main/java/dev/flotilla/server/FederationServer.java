package dev.flotilla.server;

import dev.flotilla.protocol.tensor.UpdateChunkMarshaller;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.server.metrics.ServerMetrics;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server: the Federation service behind the identity interceptors, and the health service. The builder is given (mTLS Netty in production, in-process in tests).
 */
public final class FederationServer {

  private static final Logger log = LoggerFactory.getLogger(FederationServer.class);

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final AutoCloseable transport;

  public FederationServer(ServerBuilder<?> builder, FederationService service, List<ServerInterceptor> interceptors,
      ServerMetrics metrics, int maxMessageBytes) {
    this(builder, service, interceptors, List.of(), metrics, maxMessageBytes, () -> { });
  }

  /**
   * {@code interceptors} run last to first (the identity interceptor last in the list, so first),
   * {@code healthInterceptors} likewise on the gRPC health service; {@code transport} (the event
   * loops of a Netty server) is closed once the server has stopped.
   */
  public FederationServer(ServerBuilder<?> builder, FederationService service, List<ServerInterceptor> interceptors,
      List<ServerInterceptor> healthInterceptors, ServerMetrics metrics, int maxMessageBytes, AutoCloseable transport) {
    this(builder, service, interceptors, healthInterceptors, List.of(), metrics, maxMessageBytes, transport);
  }

  /**
   * The same, and {@code others}: services with interceptors of their own (the controller's read-only
   * JobObserver behind ControllerIdentityInterceptor).
   */
  public FederationServer(ServerBuilder<?> builder, FederationService service, List<ServerInterceptor> interceptors,
      List<ServerInterceptor> healthInterceptors, List<ServerServiceDefinition> others, ServerMetrics metrics,
      int maxMessageBytes, AutoCloseable transport) {
    // SubmitUpdate's chunks are parsed with one copy instead of two (UpdateChunkMarshaller)
    builder.addService(ServerInterceptors.intercept(UpdateChunkMarshaller.install(service.bindService()), interceptors))
        .addService(ServerInterceptors.intercept(health.getHealthService(), healthInterceptors))
        .maxInboundMessageSize(maxMessageBytes);
    others.forEach(builder::addService);
    this.server = builder.build();
    this.transport = transport;
  }

  public FederationServer start() throws IOException {
    server.start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(FederationGrpc.SERVICE_NAME, ServingStatus.SERVING);
    log.info("federation server listening on {}", server.getListenSockets());
    return this;
  }

  public int port() {
    return server.getPort();
  }

  /** Drains calls for up to the grace period, then cuts the rest. */
  public void stop(long graceMillis) throws InterruptedException {
    health.enterTerminalState();
    server.shutdown();
    if (!server.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    try {
      transport.close();
    } catch (Exception e) {
      log.warn("stopping the transport: {}", e.toString());
    }
  }
}
