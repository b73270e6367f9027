package dev.flotilla.server.round;

import dev.flotilla.protocol.peer.PeerAddresses;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.PeerEntry;
import dev.flotilla.protocol.v1.PeerRoster;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the parties' peer endpoints are, as each announced at its last Join, and the roster of a
 * round built from it: the participants that serve one, by name (a party of this job; the receiver
 * knows the trust domain and job), address and TLS server name. What a party announces is checked
 * at Join with the bounds the receiving parties apply ({@link PeerAddresses}); one entry per party
 * holding a slot. Guarded by the coordinator's lock.
 */
final class PeerDirectory {
  /** What one party announced. */
  record Published(String address, String serverName) {}

  private final Map<String, Published> published = new LinkedHashMap<>();
  private final boolean checkReachability;

  /** {@code checkReachability}: rosters ask each participant to check its peers at the round's start (--check-peers). */
  PeerDirectory(boolean checkReachability) {
    this.checkReachability = checkReachability;
  }

  /**
   * What a Join announces, checked; null when it announces no endpoint.
   *
   * @throws StatusException INVALID_ARGUMENT naming the field and what is wrong with it
   */
  static Published announced(JoinRequest request) throws StatusException {
    String address = request.getPeerAddress();
    String name = request.getPeerServerName();
    if (address.isEmpty() && name.isEmpty()) {
      return null;
    }
    try {
      return new Published(PeerAddresses.checkAddress(address), PeerAddresses.checkServerName(name));
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription("Join's peer_address / peer_server_name: " + e.getMessage()
          + "; a party that serves a peer endpoint announces both").asException();
    }
  }

  /** Records (or, with null, forgets) where {@code party}'s endpoint is. */
  void put(String party, Published endpoint) {
    if (endpoint == null) {
      published.remove(party);
    } else {
      published.put(party, endpoint);
    }
  }

  void forget(String party) {
    published.remove(party);
  }

  /** The round's roster of {@code participants}, or null when none of them serves a peer endpoint. */
  PeerRoster roster(Collection<String> participants) {
    PeerRoster.Builder roster = PeerRoster.newBuilder().setCheckReachability(checkReachability);
    for (String name : participants) {
      Published endpoint = published.get(name);
      if (endpoint != null && roster.getPeersCount() < PeerAddresses.MAX_ROSTER_PEERS) {
        roster.addPeers(PeerEntry.newBuilder().setName(name).setAddress(endpoint.address())
            .setServerName(endpoint.serverName()));
      }
    }
    return roster.getPeersCount() == 0 ? null : roster.build();
  }

  /** {@code request} with the roster of {@code participants}, when there is one. */
  TrainRequest withRoster(TrainRequest request, Collection<String> participants) {
    PeerRoster roster = roster(participants);
    return roster == null ? request : request.toBuilder().setPeerRoster(roster).build();
  }
}
