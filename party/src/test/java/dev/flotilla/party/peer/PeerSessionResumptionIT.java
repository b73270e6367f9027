package dev.flotilla.party.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.protocol.tls.ClientTlsMaterial;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.HelloRequest;
import dev.flotilla.protocol.v1.HelloResponse;
import dev.flotilla.protocol.v1.PeerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS session resumption on the peer channel, over real mutual TLS on loopback: a party that dials a peer again
 * resumes the session of its first handshake (the endpoint counts the tickets it resumed from), and every call on a
 * resumed session is still authorised by the certificate verified in the full handshake: the caller's identity for
 * one of the job, a refusal for a party of another job, and no session carries over to another peer's endpoint.
 */
class PeerSessionResumptionIT {
  private static final String DOMAIN = "flotilla.test";
  private static final String JOB = "resume";

  @TempDir Path dir;
  private JobPki pki;
  private PeerEndpoint alice;
  private PeerEndpoint bob;
  private PeerEndpoint carol;
  private PeerDialer aliceDialer;
  private PeerDialer bobDialer;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void parties() throws Exception {
    pki = JobPki.create(dir, DOMAIN, JOB);
    alice = endpoint("alice");
    bob = endpoint("bob");
    carol = endpoint("carol");
    aliceDialer = new PeerDialer(TlsFiles.inDirectory(pki.party("alice")), pki.partyIdentity("alice"));
    bobDialer = new PeerDialer(TlsFiles.inDirectory(pki.party("bob")), pki.partyIdentity("bob"));
  }

  private PeerEndpoint endpoint(String name) throws Exception {
    PeerEndpoint endpoint = PeerEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
        TlsFiles.inDirectory(pki.party(name)), pki.partyIdentity(name));
    closing.add(endpoint);
    return endpoint;
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private PeerRoster.Peer peer(String name, PeerEndpoint at) {
    return new PeerRoster.Peer(pki.partyIdentity(name), "127.0.0.1:" + at.port(), pki.partyIdentity(name).partyHost());
  }

  private static HelloResponse hello(ManagedChannel channel) {
    try {
      return PeerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).hello(HelloRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @DisplayName("a second dial of the same peer resumes the first handshake's session (one ticket resumed at the peer), "
      + "and the peer still sees the caller's verified identity on it; another party's first dial is a full handshake")
  void redialResumesWithTheCallersIdentity() {
    HelloResponse first = hello(aliceDialer.open(peer("bob", bob)));
    assertThat(bob.resumedSessions()).as("the first handshake").isZero();

    HelloResponse second = hello(aliceDialer.open(peer("bob", bob)));
    assertThat(bob.resumedSessions()).as("the re-dial").isEqualTo(1);
    assertThat(second.getCaller()).isEqualTo(first.getCaller()).isEqualTo("spiffe://flotilla.test/job/resume/party/alice");
    assertThat(second.getIdentity()).isEqualTo("spiffe://flotilla.test/job/resume/party/bob");

    HelloResponse third = hello(aliceDialer.open(peer("bob", bob)));
    assertThat(third.getCaller()).isEqualTo("spiffe://flotilla.test/job/resume/party/alice");
    assertThat(bob.resumedSessions()).isEqualTo(2);

    // alice's session with bob is hers: carol dialling bob for the first time does a full handshake
    PeerDialer carolDialer = new PeerDialer(TlsFiles.inDirectory(pki.party("carol")), pki.partyIdentity("carol"));
    assertThat(hello(carolDialer.open(peer("bob", bob))).getCaller())
        .isEqualTo("spiffe://flotilla.test/job/resume/party/carol");
    assertThat(bob.resumedSessions()).isEqualTo(2);
  }

  @Test
  @DisplayName("a party of another job (same CA) that got a ticket in its refused first call resumes into the endpoint "
      + "and is refused again with PERMISSION_DENIED, by the identity of the resumed session")
  void otherJobCannotResumeIn() throws Exception {
    Identity eve = Identity.party(DOMAIN, "other", "eve");
    TlsFiles eveFiles = TlsFiles.inDirectory(pki.issue(LeafRequest.builder(eve).dnsNames("other.eve.party." + DOMAIN),
        "eve"));
    // eve's own client, willing to talk to alice, and keeping its sessions
    SslContext eveTls = MutualTlsChannels.resumingSslContext(ClientTlsMaterial.of(eveFiles),
        ExpectedPeer.peerOf(pki.partyIdentity("bob")).named("alice"));
    String refusal = "peer spiffe://flotilla.test/job/other/party/eve is a party of job other in flotilla.test; the "
        + "peer endpoint of party alice admits only other parties of job resume in flotilla.test, connected directly";
    for (int dial = 0; dial < 2; dial++) {
      ManagedChannel channel = NettyChannelBuilder.forTarget("127.0.0.1:" + alice.port()).sslContext(eveTls)
          .overrideAuthority(pki.partyIdentity("alice").partyHost()).build();
      try {
        hello(channel);
        throw new AssertionError("eve's call was admitted");
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).isEqualTo(refusal);
      }
    }
    assertThat(alice.resumedSessions()).as("eve's second connection was a resumed session").isEqualTo(1);
  }

  @Test
  @DisplayName("a session with bob is never resumed with carol: when the roster moves bob to carol's address the "
      + "handshake is a full one and refuses carol's certificate, and bob is still resumed at his own address")
  void sessionStaysWithItsPeer() {
    hello(aliceDialer.open(peer("bob", bob)));
    var probes = Executors.newSingleThreadExecutor();
    closing.add(probes::shutdownNow);
    PeerReachability probe = new PeerReachability(aliceDialer, Duration.ofSeconds(30), probes);

    PeerReachability.Result moved = probe.probe(peer("bob", carol));

    assertThat(moved.outcome()).isEqualTo(PeerReachability.Outcome.TLS);
    // carol's certificate was checked, so the handshake was a full one: it does not name bob's host
    assertThat(moved.detail()).contains("No subject alternative DNS name matching resume.bob.party.flotilla.test");
    assertThat(carol.resumedSessions()).isZero();
    assertThat(probe.probe(peer("bob", bob)).outcome()).isEqualTo(PeerReachability.Outcome.REACHED);
    assertThat(bob.resumedSessions()).isEqualTo(1);
  }

  private PeerShareCourier courier(int round, String... peers) {
    var roster = dev.flotilla.protocol.v1.PeerRoster.newBuilder();
    java.util.Map<Integer, String> names = new java.util.HashMap<>();
    for (int i = 0; i < peers.length; i++) {
      PeerEndpoint at = peers[i].equals("bob") ? bob : carol;
      roster.addPeers(dev.flotilla.protocol.v1.PeerEntry.newBuilder().setName(peers[i]).setAddress("127.0.0.1:" + at.port())
          .setServerName(pki.partyIdentity(peers[i]).partyHost()));
      names.put(i + 1, peers[i]);
    }
    return new PeerShareCourier(aliceDialer, alice.inbox(), PeerRoster.of(round, roster.build(),
        pki.partyIdentity("alice")), round, 1, names);
  }

  private static dev.flotilla.protocol.v1.SecAggEncryptedShare share(int to) {
    return dev.flotilla.protocol.v1.SecAggEncryptedShare.newBuilder().setFrom(0).setTo(to)
        .setCiphertext(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) to, 7})).build();
  }

  @Test
  @DisplayName("the shares of later rounds reach a neighbour met before over the kept connection (bob accepts one "
      + "connection for three rounds); once the channel is gone, the next round reconnects by a resumed session")
  void laterRoundsUseTheKeptConnection() {
    for (int round = 1; round <= 3; round++) {
      assertThat(courier(round, "bob", "carol").deliver(List.of(share(1), share(2)))).isEmpty();
    }
    assertThat(bob.connections()).isEqualTo(1);
    assertThat(carol.connections()).isEqualTo(1);
    assertThat(aliceDialer.keptChannels()).isEqualTo(2);

    aliceDialer.discard(peer("bob", bob), aliceDialer.kept(peer("bob", bob)));
    assertThat(courier(4, "bob").deliver(List.of(share(1)))).isEmpty();
    assertThat(bob.connections()).isEqualTo(2);
    assertThat(bob.resumedSessions()).isEqualTo(1);
    // each round's share arrived, filed under alice's identity
    for (int round = 1; round <= 4; round++) {
      var collected = new PeerShareCourier(bobDialer, bob.inbox(), null, round, 1,
          java.util.Map.of(0, "alice")).collect(0);
      assertThat(collected).as("round " + round).contains(share(1));
    }
  }

  @Test
  @DisplayName("each party's sessions are its own in both directions: bob dialling alice after alice dialled bob is "
      + "a full handshake, his re-dial a resumed one")
  void eachDirectionHasItsOwnSession() {
    hello(aliceDialer.open(peer("bob", bob)));
    hello(bobDialer.open(peer("alice", alice)));
    assertThat(alice.resumedSessions()).isZero();
    assertThat(hello(bobDialer.open(peer("alice", alice))).getCaller())
        .isEqualTo("spiffe://flotilla.test/job/resume/party/bob");
    assertThat(alice.resumedSessions()).isEqualTo(1);
  }
}
