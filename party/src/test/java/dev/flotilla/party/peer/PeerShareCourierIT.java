package dev.flotilla.party.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.PeerEntry;
import dev.flotilla.protocol.v1.SecAggEncryptedShare;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure aggregation's shares over the peer channel, on real mutual TLS on loopback: alice (index 0) delivers
 * sealed shares to bob and carol, whose endpoints run; dave's port is closed and erin announced no endpoint, so
 * theirs come back undelivered with the reason (they then go by the aggregator's relay).
 */
class PeerShareCourierIT {
  private static final String DOMAIN = "flotilla.test";
  private static final String JOB = "shares";
  private static final Map<Integer, String> NAMES = Map.of(0, "alice", 1, "bob", 2, "carol", 3, "dave", 4, "erin");

  @TempDir Path dir;
  private JobPki pki;
  private final Map<String, PeerEndpoint> endpoints = new LinkedHashMap<>();
  private final Map<String, PeerDialer> dialers = new LinkedHashMap<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private int closedPort;

  @BeforeEach
  void parties() throws Exception {
    pki = JobPki.create(dir, DOMAIN, JOB);
    for (String name : List.of("alice", "bob", "carol")) {
      TlsFiles files = TlsFiles.inDirectory(pki.party(name));
      PeerEndpoint endpoint = PeerEndpoint.start(new InetSocketAddress("127.0.0.1", 0), files, pki.partyIdentity(name));
      closing.add(endpoint);
      endpoints.put(name, endpoint);
      dialers.put(name, new PeerDialer(files, pki.partyIdentity(name)));
    }
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private PeerEntry entry(String name, String address) {
    Identity id = pki.partyIdentity(name);
    return PeerEntry.newBuilder().setName(name).setAddress(address).setServerName(id.partyHost()).build();
  }

  /** The round's roster as the aggregator would send it: erin is not on it (no --peer-port). */
  private PeerRoster roster(String self) {
    return PeerRoster.of(3, dev.flotilla.protocol.v1.PeerRoster.newBuilder()
        .addPeers(entry("alice", "127.0.0.1:" + endpoints.get("alice").port()))
        .addPeers(entry("bob", "127.0.0.1:" + endpoints.get("bob").port()))
        .addPeers(entry("carol", "127.0.0.1:" + endpoints.get("carol").port()))
        .addPeers(entry("dave", "127.0.0.1:" + closedPort)).build(), pki.partyIdentity(self));
  }

  private PeerShareCourier courier(String self, int attempt) {
    return new PeerShareCourier(dialers.get(self), endpoints.get(self).inbox(), roster(self), 3, attempt, NAMES);
  }

  private static SecAggEncryptedShare share(int to) {
    return SecAggEncryptedShare.newBuilder().setFrom(0).setTo(to)
        .setCiphertext(ByteString.copyFrom(new byte[] {(byte) to, 1, 2, 3})).build();
  }

  @Test
  @DisplayName("shares reach running peers over mTLS, taken once by the receiver under the sender's identity and the "
      + "attempt; a closed port and a peer without an endpoint come back undelivered, each with its reason")
  void deliversDirectlyAndReportsWhatMustBeRelayed() {
    Map<Integer, String> undelivered = courier("alice", 1).deliver(List.of(share(1), share(2), share(3), share(4)));

    assertThat(undelivered).containsOnlyKeys(3, 4);
    assertThat(undelivered.get(3)).startsWith("peer dave at 127.0.0.1:" + closedPort + ": CONNECTION_REFUSED");
    assertThat(undelivered.get(4)).isEqualTo("peer erin announced no peer endpoint");

    assertThat(courier("bob", 2).collect(0)).as("another attempt's share").isEmpty();
    PeerShareCourier bob = courier("bob", 1);
    assertThat(bob.collect(0)).contains(share(1));
    assertThat(bob.collect(0)).as("taken once").isEmpty();
    assertThat(bob.collect(2)).as("carol sent bob nothing").isEmpty();
    assertThat(courier("carol", 1).collect(0)).contains(share(2));
  }

  @Test
  @DisplayName("a party that another party impersonates in the payload is still known by its certificate: carol's "
      + "message is filed under carol, never under alice")
  void senderIsTheCertificateIdentity() {
    PeerShareCourier carol = new PeerShareCourier(dialers.get("carol"), endpoints.get("carol").inbox(), roster("carol"),
        3, 1, NAMES);
    // carol claims, in the payload, to be alice (index 0) sending to bob
    assertThat(carol.deliver(List.of(share(1)))).isEmpty();

    PeerShareCourier bob = courier("bob", 1);
    assertThat(bob.collect(0)).as("nothing from alice's identity").isEmpty();
    assertThat(bob.collect(2)).as("filed under carol, whose payload says from 0").contains(share(1));
  }
  @Test
  @DisplayName("a silent peer (it accepts the connection and never answers the handshake) is given up after the "
      + "deadline taken from the round's (a tenth of 15 s left), with TIMEOUT; the running peer still gets its share")
  void silentPeerBoundedByTheRound() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      PeerRoster roster = PeerRoster.of(3, dev.flotilla.protocol.v1.PeerRoster.newBuilder()
          .addPeers(entry("bob", "127.0.0.1:" + endpoints.get("bob").port()))
          .addPeers(entry("dave", "127.0.0.1:" + silent.getLocalPort())).build(), pki.partyIdentity("alice"));
      long now = System.currentTimeMillis();
      PeerShareCourier alice = new PeerShareCourier(dialers.get("alice"), endpoints.get("alice").inbox(), roster, 3, 1,
          NAMES, PeerShareCourier.deliveryDeadline(now + 15_000, now));

      Map<Integer, String> undelivered = alice.deliver(List.of(share(1), share(3)));

      assertThat(alice.deliveryDeadline()).isEqualTo(java.time.Duration.ofMillis(1_500));
      assertThat(undelivered).containsOnlyKeys(3);
      assertThat(undelivered.get(3)).startsWith("peer dave at 127.0.0.1:" + silent.getLocalPort() + ": TIMEOUT");
      assertThat(courier("bob", 1).collect(0)).contains(share(1));
    }
  }
}
