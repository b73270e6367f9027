package dev.flotilla.party.peer;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.ClientTlsMaterial;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import io.grpc.ManagedChannel;

/**
 * Channels from this party to another party's peer endpoint, over mutual TLS with this party's own
 * certificate: the peer must chain to the CA, match the server name of its roster entry (also the
 * SNI, so a proxy can route by it) and present exactly the party identity the roster names.
 */
public final class PeerDialer {
  private final TlsFiles files;
  private final Identity self;
  /** Loaded at the first dial and shared by every channel after it (re-read when the files change). */
  private volatile ClientTlsMaterial material;

  public PeerDialer(TlsFiles files, Identity self) {
    this.files = files;
    this.self = self;
  }

  public Identity self() {
    return self;
  }

  private ClientTlsMaterial material() {
    ClientTlsMaterial m = material;
    if (m == null) {
      synchronized (this) {
        if (material == null) {
          material = ClientTlsMaterial.of(files);
        }
        m = material;
      }
    }
    return m;
  }

  /** A new channel to {@code peer}; the caller shuts it down. */
  public ManagedChannel open(PeerRoster.Peer peer) {
    return MutualTlsChannels.forTarget(peer.address(), peer.serverName(), material(),
            ExpectedPeer.peerOf(self).named(peer.name()))
        .maxInboundMessageSize(PeerEndpoint.MAX_MESSAGE_BYTES)
        .build();
  }
}
