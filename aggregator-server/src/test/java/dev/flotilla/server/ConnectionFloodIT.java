package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a flood must not keep new connections out. The server jar runs as its own process with a
 * small --max-connections (12); everything comes from 127.0.0.1, as it would through an ingress, so
 * no cap per source address can tell the flood from the parties. A party holding a valid certificate
 * keeps only --max-connections-per-identity connections (8 by default); sockets that never start a
 * handshake are bounded and timed out. Either way the other party joins, and the log says why each
 * refused connection was closed.
 */
class ConnectionFloodIT {

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private ServerProcess server(TestPki pki, int port, String... more) throws IOException {
    return server(pki, port, 12, more);
  }

  private ServerProcess server(TestPki pki, int port, int maxConnections, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("--job-id", "flood-job", "--allow-party", "alice,bob", "--rounds", "1",
        "--min-parties", "2", "--expected-parties", "2", "--join-grace", "1s", "--model", "mlp",
        "--round-timeout", "120s", "--final-eval-wait", "1s", "--max-connections", String.valueOf(maxConnections)));
    args.addAll(List.of(more));
    return ServerProcess.onLoopback(dir, pki, port, args.toArray(String[]::new));
  }

  @Test
  @DisplayName("a party that opens 20 mutual-TLS connections keeps 8 (the default cap per identity), the rest are "
      + "closed after their handshake and logged with its identity, and another party still joins")
  void oneIdentityCannotFillThePort() throws Exception {
    TestPki pki = new TestPki(dir, "flood-job");
    int port = FreePorts.next();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    List<MutualTlsSocket> flood = new ArrayList<>();
    try (ServerProcess server = server(pki, port)) {
      ManagedChannel alicesChannel = channels.open(pki, port, "alice"); // one connection of alice's
      server.awaitServing(alicesChannel);
      for (int i = 0; i < 20; i++) {
        flood.add(new MutualTlsSocket(group, port, pki.party("alice")));
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(flood.stream().filter(MutualTlsSocket::isOpen)).as("alice's idle TLS connections left open")
              .hasSize(7));
      String alice = pki.party("alice").identity().uri();
      assertThat(server.log()).contains("job flood-job: gRPC connection from /127.0.0.1:")
          .contains("closed after its TLS handshake: " + alice + " has 8 connections open already, its cap "
              + "(--max-connections-per-identity)");

      // 20 would have filled --max-connections 12; bob gets in and his round starts
      FakeParty bob = channels.party(pki, port, "bob");
      assertThat(bob.join(1000).getPartyIndex()).isGreaterThanOrEqualTo(0);
      FakeParty alicesParty = new FakeParty(alicesChannel, "alice");
      alicesParty.join(1000);
      alicesParty.openRounds();
      bob.openRounds();
      assertThat(bob.awaitTrain().getRound()).isEqualTo(1);
    } finally {
      flood.forEach(MutualTlsSocket::close);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a flood of TCP connections that never start a handshake cannot keep a party out: each new connection "
      + "closes the oldest unfinished handshake, the rest are closed at --handshake-timeout, each cause logged, and "
      + "a party past its handshake is never closed for the flood")
  void aFloodThatNeverHandshakesCannotKeepAPartyOut() throws Exception {
    TestPki pki = new TestPki(dir, "flood-job");
    int port = FreePorts.next();
    List<Socket> flood = new ArrayList<>();
    try (ServerProcess server = server(pki, port, "--handshake-timeout", "3s")) {
      ManagedChannel alicesChannel = channels.open(pki, port, "alice");
      server.awaitServing(alicesChannel);
      FakeParty alice = new FakeParty(alicesChannel, "alice");
      alice.join(1000);
      for (int i = 0; i < 40; i++) {
        flood.add(new Socket("127.0.0.1", port)); // connects, never says a word
      }

      FakeParty bob = channels.party(pki, port, "bob");
      bob.join(1000);
      alice.openRounds();
      bob.openRounds();
      assertThat(alice.awaitTrain().getRound()).as("alice's connection, open through the flood").isEqualTo(1);
      assertThat(bob.awaitTrain().getRound()).isEqualTo(1);
      assertThat(server.log()).contains("job flood-job: gRPC connection from /127.0.0.1:")
          .contains("closed before its TLS handshake finished, after ")
          .contains("the oldest of the unfinished ones from 127.0.0.1, the source holding the most (")
          .contains("), to make room for a new connection: 12 connections are open (--max-connections)");

      // the flood's sockets still open are closed at their deadline, from the server's side
      for (Socket socket : flood) {
        assertThat(closedByServerWithin(socket, 30_000)).isTrue();
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.log())
          .contains("closed: its TLS handshake did not finish within 3000 ms (--handshake-timeout)"));
    } finally {
      for (Socket socket : flood) {
        socket.close();
      }
    }
  }

  @Test
  @DisplayName("a flood of TCP connections from one address closes its own unfinished handshakes, never one in flight "
      + "from another address, and beyond --max-handshakes-per-source a second its sockets are closed unread")
  void aFloodFromOneAddressCannotCloseAHandshakeFromAnother() throws Exception {
    TestPki pki = new TestPki(dir, "flood-job");
    int port = FreePorts.next();
    List<Socket> flood = new ArrayList<>();
    try (ServerProcess server = server(pki, port, "--max-pending-handshakes", "8", "--max-handshakes-per-source", "20",
        "--handshake-timeout", "60s")) {
      server.awaitServing(channels.open(pki, port, "alice"));
      try (ClientHelloSocket inFlight = new ClientHelloSocket("127.0.0.2", port)) {
        assertThat(inFlight.firstByte()).as("its ServerHello: the handshake from 127.0.0.2 is in flight")
            .isEqualTo(ClientHelloSocket.HANDSHAKE_RECORD);
        for (int i = 0; i < 60; i++) {
          Socket socket = new Socket();
          flood.add(socket);
          socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.66"), 0));
          socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000); // never says a word
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.log())
            .contains("job flood-job: gRPC connection from /127.0.0.66:")
            .contains("the oldest of the unfinished ones from 127.0.0.66, the source holding the most (7), to make "
                + "room for a new connection: 8 TLS handshakes are unfinished (--max-pending-handshakes)")
            .contains("closed before its TLS handshake: 20 new connections from 127.0.0.66 within a second already "
                + "(--max-handshakes-per-source)"));
        assertThat(inFlight.closedWithin(2_000)).as("the older handshake from 127.0.0.2, after the flood").isFalse();
      }
      FakeParty bob = channels.party(pki, port, "bob");
      assertThat(bob.join(1000).getPartyIndex()).isGreaterThanOrEqualTo(0);
    } finally {
      for (Socket socket : flood) {
        socket.close();
      }
    }
  }

  @Test
  @DisplayName("a certificate of the CA that is no party of the job (another job's, another trust domain's) keeps 2 "
      + "connections, and when the port is full a party's new connection closes the oldest of the identity holding "
      + "the most, which is no party, and joins")
  void identitiesOfOtherJobsCannotFillThePort() throws Exception {
    TestPki pki = new TestPki(dir, "flood-job");
    Identity aggregator = Identity.server(TestPki.DOMAIN, "flood-job", "flood-job");
    Identity mallory = Identity.party(TestPki.DOMAIN, "other-job", "mallory");
    Identity oscar = Identity.party("elsewhere.test", "flood-job", "oscar");
    TlsFiles mallorys = TlsFiles.inDirectory(pki.issue(mallory, "mallory"));
    TlsFiles oscars = TlsFiles.inDirectory(pki.issue(oscar, "oscar"));
    int port = FreePorts.next();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    List<MutualTlsSocket> others = new ArrayList<>();
    try (ServerProcess server = server(pki, port, 4)) {
      ManagedChannel alicesChannel = channels.open(pki, port, "alice");
      server.awaitServing(alicesChannel);
      for (int i = 0; i < 5; i++) {
        others.add(new MutualTlsSocket(group, port, mallorys, aggregator));
      }
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(others.stream().filter(MutualTlsSocket::isOpen)).as("mallory's connections left open").hasSize(2));
      assertThat(server.log()).contains("closed after its TLS handshake: " + mallory.uri() + " has 2 connections open "
          + "already, its cap (no party of job flood-job: 2)");
      MutualTlsSocket oscarsSocket = new MutualTlsSocket(group, port, oscars, aggregator);
      others.add(oscarsSocket);

      // 4 open: alice's, mallory's 2 and oscar's; bob's closes mallory's oldest
      FakeParty bob = channels.party(pki, port, "bob");
      assertThat(bob.join(1000).getPartyIndex()).isGreaterThanOrEqualTo(0);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(others.stream()
          .filter(MutualTlsSocket::isOpen)).as("mallory's last and oscar's").hasSize(2));
      assertThat(oscarsSocket.isOpen()).isTrue();
      assertThat(server.log()).contains("closed, the oldest connection of " + mallory.uri() + ", to make room for a new "
          + "connection: 4 connections are open, all past their handshake (--max-connections), and " + mallory.uri()
          + " holds 2 of them, no party of job flood-job");
      FakeParty alice = new FakeParty(alicesChannel, "alice");
      alice.join(1000);
      alice.openRounds();
      bob.openRounds();
      assertThat(bob.awaitTrain().getRound()).isEqualTo(1);
    } finally {
      others.forEach(MutualTlsSocket::close);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private static boolean closedByServerWithin(Socket socket, int millis) throws IOException {
    socket.setSoTimeout(millis);
    try {
      return socket.getInputStream().read() < 0;
    } catch (SocketException reset) {
      return true;
    }
  }
}
