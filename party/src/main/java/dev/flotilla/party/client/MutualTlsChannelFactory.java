package dev.flotilla.party.client;

import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Channels to the aggregator over mutual TLS on BoringSSL: the party presents its certificate and
 * accepts the server only if its certificate chains to the CA, matches the server name (also the
 * SNI and :authority, so a party can reach the aggregator through an SNI-routing proxy or by IP
 * address) and carries the identity of its own job's aggregator. A rogue server holding any other
 * certificate of the CA, a party's included, is refused in the handshake.
 */
public final class MutualTlsChannelFactory implements ChannelFactory {
  /**
   * Keepalive pings detect a server that vanished without closing the connection (a network
   * partition). Servers refuse pings more often than their permitKeepAliveTime (gRPC default:
   * 5 minutes) with GOAWAY, so the party stays at that.
   */
  static final long KEEPALIVE_MINUTES = 5;

  private final String target;
  private final String serverName;
  private final TlsFiles files;
  private final dev.flotilla.protocol.secagg.RoundKeyBinding keyBinding;
  private final ExpectedPeer aggregator;
  private BulkUploader bulk;

  /**
   * {@code serverName} null means the conventional host of the party's job, {@code <job>.server.<domain>};
   * {@code serverIdentity} null accepts any aggregator identity of the job, else only that name.
   */
  public MutualTlsChannelFactory(String target, String serverName, String serverIdentity, Path certificate,
      Path privateKey, Path trustedCa, Identity self) {
    this.target = target;
    this.serverName = serverName != null ? serverName : self.serverHost();
    this.files = new TlsFiles(certificate, privateKey, trustedCa);
    // one for every round: it keeps the neighbours' chains it verified (and reads the files each round)
    this.keyBinding = dev.flotilla.protocol.secagg.RoundKeyBinding.of(files);
    ExpectedPeer anyAggregator = ExpectedPeer.aggregatorOf(self);
    this.aggregator = serverIdentity == null ? anyAggregator : anyAggregator.named(serverIdentity);
  }

  /**
   * @throws FatalPartyException when BoringSSL is missing or the PEM files cannot be used
   */
  @Override
  public ManagedChannel open() {
    return open(new io.grpc.ClientInterceptor[0]);
  }

  @Override
  public dev.flotilla.protocol.secagg.RoundKeyBinding keyBinding() {
    return keyBinding;
  }

  /**
   * Channels of this host's certificate that act as its virtual party {@code name}: every call names it in the
   * {@value dev.flotilla.protocol.tls.VirtualPartyRule#HEADER_NAME} header, which the aggregator checks against
   * the certificate. One connection per virtual party, so one party's refusals never close another's calls;
   * no bulk uploads (that port sees no headers).
   */
  public ChannelFactory forVirtualParty(String name) {
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(io.grpc.Metadata.Key.of(dev.flotilla.protocol.tls.VirtualPartyRule.HEADER_NAME,
        io.grpc.Metadata.ASCII_STRING_MARSHALLER), name);
    io.grpc.ClientInterceptor header = io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers);
    return new ChannelFactory() {
      @Override
      public ManagedChannel open() {
        return MutualTlsChannelFactory.this.open(header);
      }

      @Override
      public String describe() {
        return MutualTlsChannelFactory.this.describe() + " as virtual party " + name;
      }

      @Override
      public dev.flotilla.protocol.secagg.RoundKeyBinding keyBinding() {
        return MutualTlsChannelFactory.this.keyBinding();
      }
    };
  }

  private ManagedChannel open(io.grpc.ClientInterceptor... interceptors) {
    try {
      return MutualTlsChannels.forTarget(target, serverName, files, aggregator)
          .keepAliveTime(KEEPALIVE_MINUTES, TimeUnit.MINUTES)
          .keepAliveTimeout(20, TimeUnit.SECONDS)
          .intercept(interceptors)
          .build();
    } catch (IllegalStateException e) {
      throw new FatalPartyException(ExitCode.TLS, e.getMessage(), e);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "cannot use the TLS files (--cert "
          + files.certificateChain() + ", --key " + files.privateKey() + ", --ca " + files.trustedCa() + "): "
          + e.getMessage(), e);
    }
  }

  /**
   * Uploads on the aggregator's bulk-upload port from now on, when the server offers one: at
   * {@code bulkServer} (HOST:PORT) if given, else at --server's host and the offered port; with
   * {@code bulkServerName} as TLS server name (SNI) if given, else the gRPC channel's.
   */
  public MutualTlsChannelFactory withBulkUploads(String bulkServer, String bulkServerName) {
    String host = BulkUploader.hostOf(bulkServer != null ? bulkServer : target);
    Integer port = bulkServer == null ? null : Integer.valueOf(bulkServer.substring(bulkServer.lastIndexOf(':') + 1));
    this.bulk = new BulkUploader(host, port, bulkServerName != null ? bulkServerName : serverName, files, aggregator);
    return this;
  }

  @Override
  public BulkUploader bulkUploads() {
    return bulk;
  }

  @Override
  public String describe() {
    return aggregator + " at " + target + " (" + serverName + ")";
  }
}
