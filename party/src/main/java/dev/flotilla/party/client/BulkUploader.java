package dev.flotilla.party.client;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.bulk.BulkUploadClient;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.UpdateChunk;
import io.grpc.StatusException;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Supplier;

/**
 * Uploads on the aggregator's bulk-upload port: the host the party reaches the aggregator at (or
 * --bulk-server's), the port the server offered at Join, the same TLS server name and identity
 * checks as the gRPC channel.
 */
public final class BulkUploader implements AutoCloseable {

  private final String host;
  private final Integer fixedPort;
  private final String serverName;
  private final BulkUploadClient client;

  /** {@code fixedPort} null: the port the server offers. */
  public BulkUploader(String host, Integer fixedPort, String serverName, TlsFiles files, ExpectedPeer aggregator) {
    this.host = host;
    this.fixedPort = fixedPort;
    this.serverName = serverName;
    this.client = new BulkUploadClient(MutualTlsChannels.bulkSslContext(files, aggregator));
  }

  /** The host of a {@code HOST:PORT} target ({@code [v6]:PORT} too). */
  public static String hostOf(String target) {
    String host = target.substring(0, target.lastIndexOf(':'));
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** See {@link BulkUploadClient#upload}. */
  SubmitUpdateResponse upload(int offeredPort, ByteString ticket, Supplier<Iterator<UpdateChunk>> chunks,
      Duration timeout)
      throws IOException, StatusException, InterruptedException {
    return client.upload(host, fixedPort != null ? fixedPort : offeredPort, serverName, ticket, chunks, timeout);
  }

  String describe(int offeredPort) {
    return host + ":" + (fixedPort != null ? fixedPort : offeredPort) + " (" + serverName + ")";
  }

  @Override
  public void close() {
    client.close();
  }
}
