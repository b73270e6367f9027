package dev.flotilla.party.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.ExchangeRequest;
import dev.flotilla.protocol.v1.HelloRequest;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.PeerEntry;
import dev.flotilla.protocol.v1.PeerGrpc;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.RogueCertificates;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three parties of one job, each serving its peer endpoint over real mutual TLS on loopback with a
 * certificate of the job's CA: each reaches the other two and leaves them payloads; a party of
 * another job, the aggregator's identity and a wrong roster are refused, and an unreachable peer is
 * reported with the reason.
 */
class PeerChannelIT {
  private static final String DOMAIN = "flotilla.test";
  private static final String JOB = "peers";

  @TempDir Path dir;
  private JobPki pki;
  private final Map<String, PeerEndpoint> endpoints = new LinkedHashMap<>();
  private final Map<String, PeerDialer> dialers = new LinkedHashMap<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final ExecutorService executor = Executors.newFixedThreadPool(4);

  @BeforeEach
  void threeParties() throws Exception {
    pki = JobPki.create(dir, DOMAIN, JOB);
    for (String name : List.of("alice", "bob", "carol")) {
      TlsFiles files = TlsFiles.inDirectory(pki.party(name));
      PeerEndpoint endpoint = PeerEndpoint.start(new InetSocketAddress("127.0.0.1", 0), files, pki.partyIdentity(name));
      closing.add(endpoint);
      endpoints.put(name, endpoint);
      dialers.put(name, new PeerDialer(files, pki.partyIdentity(name)));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    executor.shutdownNow();
  }

  private PeerEntry entry(String name) {
    return entry(name, "127.0.0.1:" + endpoints.get(name).port());
  }

  private PeerEntry entry(String name, String address) {
    Identity id = pki.partyIdentity(name);
    return PeerEntry.newBuilder().setName(name).setAddress(address).setServerName(id.partyHost()).build();
  }

  private PeerRoster roster(String self, PeerEntry... entries) {
    return PeerRoster.of(1, dev.flotilla.protocol.v1.PeerRoster.newBuilder().addAllPeers(List.of(entries))
        .setCheckReachability(true).build(), pki.partyIdentity(self));
  }

  private PeerReachability reachability(String from, Duration deadline) {
    return new PeerReachability(dialers.get(from), deadline, executor);
  }

  @Test
  @DisplayName("each of three parties reaches the other two by Hello over mTLS, and each sees the caller's identity")
  void everyoneReachesEveryone() throws Exception {
    for (String self : endpoints.keySet()) {
      List<PeerReachability.Result> results = reachability(self, Duration.ofSeconds(30))
          .check(roster(self, entry("alice"), entry("bob"), entry("carol"))).get(60, TimeUnit.SECONDS);
      assertThat(results).extracting(r -> r.peer().name() + ":" + r.outcome())
          .containsExactlyElementsOf(endpoints.keySet().stream().filter(n -> !n.equals(self)).map(n -> n + ":REACHED").toList());
    }
    ManagedChannel channel = dialers.get("alice").open(roster("alice", entry("bob")).peers().get(0));
    try {
      var hello = PeerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).hello(HelloRequest.getDefaultInstance());
      assertThat(hello.getIdentity()).isEqualTo("spiffe://flotilla.test/job/peers/party/bob");
      assertThat(hello.getCaller()).isEqualTo("spiffe://flotilla.test/job/peers/party/alice");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @DisplayName("Exchange leaves a payload in the receiver's inbox under the sender's certificate identity, round and topic")
  void exchangeDelivers() {
    for (String from : List.of("alice", "carol")) {
      ManagedChannel channel = dialers.get(from).open(roster(from, entry("bob")).peers().get(0));
      try {
        var answer = PeerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).exchange(
            ExchangeRequest.newBuilder().setRound(1).setTopic("test/hello").setPayload(ByteString.copyFromUtf8("hi " + from)).build());
        assertThat(answer.getBytesHeld()).isEqualTo(3 + from.length());
      } finally {
        channel.shutdownNow();
      }
    }
    PeerInbox bob = endpoints.get("bob").inbox();
    assertThat(bob.take("spiffe://flotilla.test/job/peers/party/alice", 1, "test/hello"))
        .hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("hi alice"));
    assertThat(bob.take("spiffe://flotilla.test/job/peers/party/carol", 1, "test/hello"))
        .hasValueSatisfying(p -> assertThat(new String(p)).isEqualTo("hi carol"));
  }

  @Test
  @DisplayName("an Exchange above 64 KiB is refused by the endpoint (INVALID_ARGUMENT), nothing is kept")
  void oversizedExchangeRefused() {
    ManagedChannel channel = dialers.get("alice").open(roster("alice", entry("bob")).peers().get(0));
    try {
      assertThatThrownBy(() -> PeerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).exchange(
          ExchangeRequest.newBuilder().setRound(1).setTopic("big").setPayload(ByteString.copyFrom(new byte[65537])).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
      assertThat(endpoints.get("bob").inbox().totalBytes()).isZero();
    } finally {
      channel.shutdownNow();
    }
  }

  /** A client that accepts any party of the job on the other end, presenting {@code files}: a hostile caller. */
  private StatusRuntimeException helloAs(TlsFiles files, String to) {
    ManagedChannel channel = MutualTlsChannels.forTarget("127.0.0.1:" + endpoints.get(to).port(),
        pki.partyIdentity(to).partyHost(), files, ExpectedPeer.peerOf(pki.partyIdentity("anyone"))).build();
    try {
      PeerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).hello(HelloRequest.getDefaultInstance());
      throw new AssertionError("the call was admitted");
    } catch (StatusRuntimeException e) {
      return e;
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @DisplayName("a party certificate of another job, from the same CA, is refused by the peer endpoint with PERMISSION_DENIED")
  void wrongJobPartyRefused() {
    TlsFiles eve = TlsFiles.inDirectory(pki.issue(LeafRequest.builder(Identity.party(DOMAIN, "other", "eve"))
        .dnsNames("other.eve.party." + DOMAIN), "eve"));
    StatusRuntimeException e = helloAs(eve, "alice");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).isEqualTo("peer spiffe://flotilla.test/job/other/party/eve is a party of "
        + "job other in flotilla.test; the peer endpoint of party alice admits only other parties of job peers in "
        + "flotilla.test, connected directly");
  }

  @Test
  @DisplayName("a server identity (with clientAuth) and an ingress certificate are refused by the peer endpoint; the "
      + "aggregator's real certificate (serverAuth only) cannot even complete the handshake")
  void serverAndIngressRefused() {
    TlsFiles serverWithClientAuth = TlsFiles.inDirectory(RogueCertificates.issue(dir.resolve("ca"), dir.resolve("rogue"),
        JOB, "URI:spiffe://flotilla.test/job/peers/server/peers"));
    StatusRuntimeException server = helloAs(serverWithClientAuth, "bob");
    assertThat(server.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(server.getStatus().getDescription()).startsWith("peer spiffe://flotilla.test/job/peers/server/peers is a "
        + "server identity;");
    StatusRuntimeException ingress = helloAs(TlsFiles.inDirectory(pki.ingress("ingress-nginx")), "bob");
    assertThat(ingress.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(ingress.getStatus().getDescription()).startsWith("peer spiffe://flotilla.test/ingress/ingress-nginx is an "
        + "ingress identity;");
    assertThat(helloAs(TlsFiles.inDirectory(pki.server()), "bob").getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  @DisplayName("a party of another job serving where the roster sends alice is refused by alice in the handshake (TLS, naming it)")
  void wrongJobEndpointRefusedByCaller() throws Exception {
    TlsFiles eveFiles = TlsFiles.inDirectory(pki.issue(LeafRequest.builder(Identity.party(DOMAIN, "other", "bob"))
        .dnsNames(pki.partyIdentity("bob").partyHost()), "eve"));
    PeerEndpoint eve = PeerEndpoint.start(new InetSocketAddress("127.0.0.1", 0), eveFiles, Identity.party(DOMAIN, "other", "bob"));
    closing.add(eve);
    PeerReachability.Result result = reachability("alice", Duration.ofSeconds(30))
        .probe(roster("alice", entry("bob", "127.0.0.1:" + eve.port())).peers().get(0));
    assertThat(result.outcome()).isEqualTo(PeerReachability.Outcome.TLS);
    assertThat(result.detail()).contains("the peer presented spiffe://flotilla.test/job/other/party/bob, of job other in "
        + "flotilla.test; expected a party of job peers in flotilla.test (spiffe://flotilla.test/job/peers/party/bob)");
  }

  @Test
  @DisplayName("the roster's bob at carol's address: the handshake refuses carol's identity (TLS), naming her")
  void identityMismatch() {
    PeerReachability.Result result = reachability("alice", Duration.ofSeconds(30))
        .probe(new PeerRoster.Peer(pki.partyIdentity("bob"), "127.0.0.1:" + endpoints.get("carol").port(),
            pki.partyIdentity("carol").partyHost()));
    assertThat(result.outcome()).isEqualTo(PeerReachability.Outcome.TLS);
    assertThat(result.detail()).contains("spiffe://flotilla.test/job/peers/party/carol, named carol");
  }

  @Test
  @DisplayName("a closed port, a name that does not resolve and a silent endpoint are told apart")
  void unreachableReasons() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    PeerReachability probe = reachability("alice", Duration.ofSeconds(3));
    assertThat(probe.probe(roster("alice", entry("bob", "127.0.0.1:" + closedPort)).peers().get(0)))
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(PeerReachability.Outcome.CONNECTION_REFUSED))
        .satisfies(r -> assertThat(r.toString()).startsWith("bob at 127.0.0.1:" + closedPort + ": CONNECTION_REFUSED (connection refused"));
    assertThat(probe.probe(roster("alice", entry("bob", "bob.peers.invalid:443")).peers().get(0)).outcome())
        .isEqualTo(PeerReachability.Outcome.DNS);
    try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      assertThat(probe.probe(roster("alice", entry("bob", "127.0.0.1:" + silent.getLocalPort())).peers().get(0)).outcome())
          .isEqualTo(PeerReachability.Outcome.TIMEOUT);
    }
  }

  @Test
  @DisplayName("the party's channel announces its endpoint at Join and checks the roster of a round that asks for it")
  void channelTakesRoster() throws Exception {
    PeerChannel alice = new PeerChannel(endpoints.get("alice"), "alice.example:443", pki.partyIdentity("alice").partyHost(),
        dialers.get("alice"));
    JoinRequest.Builder join = JoinRequest.newBuilder();
    alice.announce(join);
    assertThat(join.getPeerAddress()).isEqualTo("alice.example:443");
    assertThat(join.getPeerServerName()).isEqualTo("peers.alice.party.flotilla.test");
    alice.onRound(TrainRequest.newBuilder().setRound(2).setPeerRoster(dev.flotilla.protocol.v1.PeerRoster.newBuilder()
        .addPeers(entry("alice")).addPeers(entry("bob")).addPeers(entry("carol", "127.0.0.1:1")).setCheckReachability(true))
        .build());
    assertThat(alice.lastCheck().get(60, TimeUnit.SECONDS)).extracting(r -> r.peer().name() + ":" + r.outcome())
        .containsExactly("bob:REACHED", "carol:CONNECTION_REFUSED");
    alice.onRound(TrainRequest.newBuilder().setRound(3).build());
    assertThat(alice.roster()).isNull();
  }
}
