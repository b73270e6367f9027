package dev.flotilla.server.metrics;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;

/** Counts the wire bytes of every call's messages into the server metrics. */
public final class ByteCountingTracer extends ServerStreamTracer.Factory {

  private final ServerMetrics metrics;

  public ByteCountingTracer(ServerMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    return new ServerStreamTracer() {
      @Override
      public void inboundWireSize(long bytes) {
        if (bytes > 0) {
          metrics.bytesIn(bytes);
        }
      }

      @Override
      public void outboundWireSize(long bytes) {
        if (bytes > 0) {
          metrics.bytesOut(bytes);
        }
      }
    };
  }
}
