package dev.flotilla.party.peer;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.ClientTlsMaterial;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Channels from this party to another party's peer endpoint, over mutual TLS with this party's own
 * certificate: the peer must chain to the CA, match the server name of its roster entry (also the
 * SNI, so a proxy can route by it) and present exactly the party identity the roster names.
 * A re-dial of a peer resumes the TLS session of an earlier full handshake with it (tickets of the
 * peer's endpoint), skipping its certificate checks and signatures: each peer has its own client
 * context, whose sessions were all verified as that peer, for the {@link #MAX_PEER_CONTEXTS} peers
 * dialled last.
 */
public final class PeerDialer {
  /** Peers whose sessions are kept: more than a party's neighbours over many rounds at a few hundred parties. */
  static final int MAX_PEER_CONTEXTS = 256;

  private final Identity self;
  /** Loaded once and shared by every channel (re-read when the files change). */
  private final ClientTlsMaterial material;
  private final Map<ContextKey, SslContext> contexts = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ContextKey, SslContext> eldest) {
      return size() > MAX_PEER_CONTEXTS;
    }
  };

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
    return NettyChannelBuilder.forTarget(peer.address())
        .sslContext(contextFor(peer))
        .overrideAuthority(peer.serverName())
        .maxInboundMessageSize(PeerEndpoint.MAX_MESSAGE_BYTES)
        .build();
  }

  private synchronized SslContext contextFor(PeerRoster.Peer peer) {
    return contexts.computeIfAbsent(new ContextKey(peer.name(), peer.serverName()),
        key -> MutualTlsChannels.resumingSslContext(material, ExpectedPeer.peerOf(self).named(key.name())));
  }
}
