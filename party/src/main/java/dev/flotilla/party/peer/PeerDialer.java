package dev.flotilla.party.peer;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.ClientTlsMaterial;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Channels from this party to another party's peer endpoint, over mutual TLS with this party's own
 * certificate: the peer must chain to the CA, match the server name of its roster entry (also the
 * SNI, so a proxy can route by it) and present exactly the party identity the roster names.
 * A re-dial of a peer resumes the TLS session of an earlier full handshake with it (tickets of the
 * peer's endpoint), skipping its certificate checks and signatures: each peer has its own client
 * context, whose sessions were all verified as that peer, for the {@link #MAX_PEER_CONTEXTS} peers
 * dialled last. The share deliveries keep their channels ({@link #kept}): a neighbour met again in a later
 * round is reached over the same connection while it lasts ({@link #IDLE_TIMEOUT} without calls closes it, the
 * channel stays and reconnects by a resumed session), for the {@link #MAX_KEPT_CHANNELS} peers used last.
 */
public final class PeerDialer implements AutoCloseable {
  /** Peers whose sessions are kept: more than a party's neighbours over many rounds at a few hundred parties. */
  static final int MAX_PEER_CONTEXTS = 256;
  /** Channels kept across rounds: a party's neighbours of several rounds at a few hundred parties. */
  static final int MAX_KEPT_CHANNELS = 64;
  /** A kept channel without calls for this long closes its connection (the peer's endpoint closes it later). */
  static final Duration IDLE_TIMEOUT = Duration.ofMinutes(2);

  private final Identity self;
  /** Loaded once and shared by every channel (re-read when the files change). */
  private final ClientTlsMaterial material;
  private final Map<ContextKey, SslContext> contexts = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ContextKey, SslContext> eldest) {
      return size() > MAX_PEER_CONTEXTS;
    }
  };

  private final Map<PeerRoster.Peer, ManagedChannel> kept = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<PeerRoster.Peer, ManagedChannel> eldest) {
      if (size() > MAX_KEPT_CHANNELS) {
        eldest.getValue().shutdown();
        return true;
      }
      return false;
    }
  };
  private boolean closed;

  /** The expected identity (by name: domain and job are this party's) and the server name it is dialled by. */
  private record ContextKey(String name, String serverName) {}

  /**
   * Loads the key material of {@code files} now, so the first round's deliveries do not.
   *
   * @throws IllegalArgumentException when the files cannot be read or the key does not match the certificate
   */
  public PeerDialer(TlsFiles files, Identity self) {
    this.self = self;
    this.material = ClientTlsMaterial.of(files);
  }

  public Identity self() {
    return self;
  }

  /** A new channel to {@code peer}; the caller shuts it down. */
  public ManagedChannel open(PeerRoster.Peer peer) {
    return builder(peer).build();
  }

  /**
   * The kept channel to {@code peer} (its identity, address and server name as the roster has them), opened now
   * if there is none; the dialer shuts it down ({@link #discard}, {@link #close}), never the caller.
   *
   * @throws IllegalStateException after {@link #close}
   */
  public synchronized ManagedChannel kept(PeerRoster.Peer peer) {
    if (closed) {
      throw new IllegalStateException("the peer dialer of " + self + " is closed");
    }
    return kept.computeIfAbsent(peer, p -> builder(p).idleTimeout(IDLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).build());
  }

  /** A call on the kept channel to {@code peer} failed: it goes, so the next dial starts afresh (no reconnect backoff). */
  public synchronized void discard(PeerRoster.Peer peer, ManagedChannel channel) {
    if (kept.remove(peer, channel)) {
      channel.shutdownNow();
    }
  }

  /** Whether a channel to {@code peer} is kept (from an earlier delivery). */
  synchronized boolean keeps(PeerRoster.Peer peer) {
    return kept.containsKey(peer);
  }

  /** Channels kept now (at most {@link #MAX_KEPT_CHANNELS}). */
  synchronized int keptChannels() {
    return kept.size();
  }

  /** Shuts the kept channels down. */
  @Override
  public synchronized void close() {
    closed = true;
    kept.values().forEach(ManagedChannel::shutdownNow);
    kept.clear();
  }

  private NettyChannelBuilder builder(PeerRoster.Peer peer) {
    return NettyChannelBuilder.forTarget(peer.address())
        .sslContext(contextFor(peer))
        .overrideAuthority(peer.serverName())
        .maxInboundMessageSize(PeerEndpoint.MAX_MESSAGE_BYTES);
  }

  private synchronized SslContext contextFor(PeerRoster.Peer peer) {
    return contexts.computeIfAbsent(new ContextKey(peer.name(), peer.serverName()),
        key -> MutualTlsChannels.resumingSslContext(material, ExpectedPeer.peerOf(self).named(key.name())));
  }
}
