package dev.flotilla.party.peer;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.PkiException;
import dev.flotilla.protocol.peer.PeerAddresses;
import dev.flotilla.protocol.v1.PeerEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers of one round as the aggregator listed them, checked before the party dials anyone: at
 * most {@link PeerAddresses#MAX_ROSTER_PEERS} entries, each naming a party of this party's own job (the
 * roster carries names; the trust domain and job are this party's) with a bounded {@code HOST:PORT}
 * and server name. This party's own entry is left out.
 */
public record PeerRoster(int round, List<Peer> peers, boolean checkReachability) {

  /** One peer: whom to expect in the handshake, where to dial, which name to send as SNI. */
  public record Peer(Identity identity, String address, String serverName) {
    public String name() {
      return identity.name();
    }

    @Override
    public String toString() {
      return identity.name() + " at " + address + " (" + serverName + ")";
    }
  }

  public PeerRoster {
    peers = List.copyOf(peers);
  }

  /**
   * @throws IllegalArgumentException naming the entry and what is wrong with it (a roster too long, a
   *     name that is no DNS label, a bad address): the whole roster is refused, as its sender cannot be trusted with it
   */
  public static PeerRoster of(int round, dev.flotilla.protocol.v1.PeerRoster roster, Identity self) {
    if (roster.getPeersCount() > PeerAddresses.MAX_ROSTER_PEERS) {
      throw new IllegalArgumentException("the roster of round " + round + " lists " + roster.getPeersCount()
          + " peers, more than " + PeerAddresses.MAX_ROSTER_PEERS);
    }
    List<Peer> peers = new ArrayList<>(roster.getPeersCount());
    for (int i = 0; i < roster.getPeersCount(); i++) {
      PeerEntry entry = roster.getPeers(i);
      Identity identity;
      try {
        identity = Identity.party(self.trustDomain(), self.job(), entry.getName());
      } catch (PkiException e) {
        throw new IllegalArgumentException("roster entry " + i + " of round " + round + ": " + e.getMessage(), e);
      }
      if (identity.equals(self)) {
        continue;
      }
      try {
        peers.add(new Peer(identity, PeerAddresses.checkAddress(entry.getAddress()),
            PeerAddresses.checkServerName(entry.getServerName())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("roster entry " + i + " of round " + round + " (" + identity.name() + "): "
            + e.getMessage(), e);
      }
    }
    return new PeerRoster(round, peers, roster.getCheckReachability());
  }
}
