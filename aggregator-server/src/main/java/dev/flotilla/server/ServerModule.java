package dev.flotilla.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.flotilla.protocol.tls.BoringSsl;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.ControllerIdentityInterceptor;
import dev.flotilla.protocol.tls.PeerIdentityInterceptor;
import dev.flotilla.server.status.ProgressService;
import dev.flotilla.server.status.RecentStatus;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.server.round.FatalErrorHandler;
import dev.flotilla.server.round.RoundCoordinator;
import dev.flotilla.server.state.CheckpointStore;
import dev.flotilla.server.aggregation.Strategies;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.transport.CallAdmission;
import dev.flotilla.server.transport.RefusalStrikes;
import dev.flotilla.server.transport.UploadPermits;
import dev.flotilla.server.transport.Connections;
import dev.flotilla.server.transport.ConnectionGate;
import dev.flotilla.server.transport.IdentityCaps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Wiring of the server runnable: mutual TLS on BoringSSL, certificate identities, the job's coordinator. */
public final class ServerModule extends AbstractModule {

  private final ServerConfig config;
  private final InetSocketAddress address;
  private final TlsFiles tls;
  private final java.util.Set<String> trustedProxies;
  private java.nio.file.Path revokedSerials;
  private int virtualPartiesPerHost;
  private int maxConnections;
  private int maxConnectionsPerSource;
  private int maxPendingHandshakes;
  private int maxHandshakesPerSource;
  private java.time.Duration handshakeTimeout = java.time.Duration.ofSeconds(10);
  private int maxConnectionsPerIdentity = 8;

  public ServerModule(ServerConfig config, InetSocketAddress address, TlsFiles tls) {
    this(config, address, tls, java.util.Set.of());
  }

  /**
   * {@code trustedProxies}: identities of TLS-terminating proxies (ingress-nginx) whose forwarded
   * {@code ssl-client-cert} header names the real caller; see {@link PeerIdentityInterceptor}.
   */
  public ServerModule(ServerConfig config, InetSocketAddress address, TlsFiles tls, java.util.Set<String> trustedProxies) {
    this.config = config;
    this.address = address;
    this.tls = tls;
    this.trustedProxies = java.util.Set.copyOf(trustedProxies);
  }

  /**
   * Refuse, in the TLS handshake, client certificates whose serial this file lists (re-read when it
   * changes: the coordinator's revocations, see cert-manager's RevokedSerials); null: none.
   */
  /** Admits virtual-party hosts of at most {@code perHost} virtual parties (--virtual-parties-per-host; 0: none). */
  public ServerModule virtualPartiesPerHost(int perHost) {
    this.virtualPartiesPerHost = perHost;
    return this;
  }

  /**
   * Caps the connections open at once, counted before their TLS handshake ({@link ConnectionGate}):
   * {@code total} on the gRPC port (--max-connections; 0: 4 per expected party and 64 to spare) and
   * {@code perSource} per IP address on each port (--max-connections-per-source; 0: none).
   */
  public ServerModule connectionCaps(int total, int perSource) {
    this.maxConnections = total;
    this.maxConnectionsPerSource = perSource;
    return this;
  }

  /**
   * Bounds the connections whose TLS handshake is unfinished on each port ({@code pending}, the oldest
   * of the source holding the most closed for a newcomer; --max-pending-handshakes, 0: --expected-parties
   * + 64), the new ones per source and second ({@code perSourcePerSecond}, --max-handshakes-per-source,
   * 0: --expected-parties + 64) and their time to finish it (--handshake-timeout), and the gRPC port's
   * connections per certificate identity (--max-connections-per-identity, 0: none; see {@link IdentityCaps}).
   */
  public ServerModule handshakeCaps(int pending, int perSourcePerSecond, java.time.Duration timeout, int perIdentity) {
    this.maxPendingHandshakes = pending;
    this.maxHandshakesPerSource = perSourcePerSecond;
    this.handshakeTimeout = timeout;
    this.maxConnectionsPerIdentity = perIdentity;
    return this;
  }

  /** The caps of a port that keeps {@code total} connections at once. */
  private ConnectionGate.Limits limits(int total, int perIdentity) {
    int pending = maxPendingHandshakes > 0 ? maxPendingHandshakes : config.expectedParties() + 64;
    int perSecond = maxHandshakesPerSource > 0 ? maxHandshakesPerSource : config.expectedParties() + 64;
    return new ConnectionGate.Limits(total, maxConnectionsPerSource, pending, handshakeTimeout, perIdentity, perSecond);
  }

  public ServerModule revokedSerials(java.nio.file.Path file) {
    this.revokedSerials = file;
    return this;
  }

  @Override
  protected void configure() {
    bind(ServerConfig.class).toInstance(config);
    bind(CallerIdentity.class).to(PeerIdentityCaller.class);
    bind(ServerMetrics.class).in(Singleton.class);
  }

  @Provides
  @Singleton
  Strategy strategy() {
    return strategyOf(config);
  }

  /** The job's strategy: --strategy with its options and --max-update-norm (aggregation/Strategies). */
  public static Strategy strategyOf(ServerConfig config) {
    if (config.privacy() != null && config.privacy().distributed()) {
      // the parties clip and noise; the unmasked noised sum reaches FedAvg as one update (SecureRounds.feedMean)
      return new dev.flotilla.server.aggregation.DistributedDpFedAvg();
    }
    if (config.privacy() != null) {
      return new dev.flotilla.server.aggregation.DpFedAvg(config.privacy(),
          config.privacy().samplingRate() * config.expectedParties(), dev.flotilla.protocol.privacy.GaussianNoise::fresh);
    }
    return Strategies.byName(config.strategy(), config.strategyOptions());
  }

  @Provides
  @Singleton
  UploadPermits uploadPermits(RoundCoordinator coordinator) {
    return uploadPermitsOf(config, coordinator);
  }

  /** --max-concurrent-uploads for the job's model (see {@link UploadPermits#forModel}). */
  public static UploadPermits uploadPermitsOf(ServerConfig config, RoundCoordinator coordinator) {
    long values = dev.flotilla.protocol.model.ModelSpecs.totalElements(coordinator.globalModel().specs());
    return UploadPermits.forModel(config.maxConcurrentUploads(), Float.BYTES * values);
  }

  @Provides
  @Singleton
  RoundCoordinator coordinator(Strategy strategy, ServerMetrics metrics) {
    try {
      return new RoundCoordinator(config, strategy, new CheckpointStore(config.stateDir()), metrics,
          BoringSsl.providerName(), Clock.systemUTC()).onFatalError(FatalErrorHandler.exitProcess());
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** The status that readers outside the round loop (the controller, the web view) get: at most one snapshot a second. */
  @Provides
  @Singleton
  RecentStatus recentStatus(RoundCoordinator coordinator) {
    return new RecentStatus(coordinator::status, Clock.systemUTC());
  }

  /**
   * Opens the bulk-upload port on {@code bulkAddress} with the gRPC port's certificate, CA,
   * revocations and party rules, bounds (header as --max-message-kib, one connection per expected party and some
   * to spare, --bulk-idle-timeout) and upload permits; from then on parties that can use it are offered it.
   */
  public BulkUploadServer openBulkPort(com.google.inject.Injector injector, InetSocketAddress bulkAddress,
      java.time.Duration idleTimeout) throws InterruptedException {
    return new BulkUploadServer(bulkAddress, tls, revokedSerials, injector.getInstance(RoundCoordinator.class),
        PeerIdentityInterceptor.partiesOf(tls.identity()).withVirtualPartiesPerHost(virtualPartiesPerHost), injector.getInstance(UploadPermits.class),
        injector.getInstance(ServerMetrics.class), config.maxMessageBytes(),
        new ConnectionGate(config.jobId(), "bulk-upload", limits(config.expectedParties() + 16, 0)),
        idleTimeout);
  }

  @Provides
  @Singleton
  FederationServer server(FederationService service, SecureAggregationService secure, ServerMetrics metrics,
      RoundCoordinator coordinator, CallerIdentity identity, RecentStatus recentStatus) {
    BoringSsl.requireAvailable();
    int total = maxConnections > 0 ? maxConnections : 4 * config.expectedParties() + 64;
    Connections connections = Connections.netty(config.jobId())
        .gate(new ConnectionGate(config.jobId(), "gRPC", limits(total, maxConnectionsPerIdentity)),
            new IdentityCaps(tls.identity(), maxConnectionsPerIdentity, virtualPartiesPerHost, trustedProxies));
    int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    ExecutorService executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "grpc-call");
      t.setDaemon(true);
      return t;
    });
    var builder = MutualTlsServers.forAddress(address, tls, revokedSerials)
        .executor(executor)
        // a party that vanished without closing its connection is noticed within ~40 s; the ping's answer
        // may wait 20 s, since a server busy with a thousand uploads reads it late (10 s dropped healthy parties)
        .keepAliveTime(20, TimeUnit.SECONDS)
        .keepAliveTimeout(20, TimeUnit.SECONDS)
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
    connections.configure(builder, config.maxCallsPerConnection());
    CallAdmission admission = new CallAdmission(config.jobId(), identity, coordinator, config.maxCallsPerParty());
    PeerIdentityInterceptor identities = PeerIdentityInterceptor.partiesOf(tls.identity(), trustedProxies, tls.trustedCa())
        .withVirtualPartiesPerHost(virtualPartiesPerHost);
    RefusalStrikes strikes = new RefusalStrikes(connections);
    // interceptors run last to first: strikes watch identity, then admission, before any message is read;
    // the health service answers parties of the job only, too; the job's progress, the controller of the trust domain only
    ServerServiceDefinition progress = ServerInterceptors.intercept(
        new ProgressService(recentStatus).bindService(),
        ControllerIdentityInterceptor.controllersOf(tls.identity()), strikes);
    // the masked rounds of --secure-aggregation, behind the same interceptors as Federation
    ServerServiceDefinition masked = ServerInterceptors.intercept(secure.bindService(), admission, identities, strikes);
    return new FederationServer(builder, service, List.of(admission, identities, strikes), List.of(identities, strikes),
        List.of(progress, masked), metrics, config.maxMessageBytes(), connections);
  }
}
