package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecAgg+ with real {@code flotilla party --peer-port} processes: the Shamir shares go party to party over the
 * mTLS peer endpoints on loopback (each party dialled at its announced 127.0.0.1 port, verified by the SNI of its
 * party host), and the aggregator relays only what a party could not deliver. Both cases run the same job (seed,
 * partitions, model), so the second's accuracy is compared with the first's.
 */
@RequiresRealServers(FASHION_MNIST)
@DisplayName("SecAgg+ shares over the peer mesh")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PeerMeshSecureAggregationIT {

  static final int PARTIES = 4;
  static final int ROUNDS = 2;
  /**
   * Relaying changes no mask and no update (the same shares arrive by another road), so the two jobs differ only
   * by the parties' training nondeterminism; two points of accuracy covers it.
   */
  static final double ACCURACY_BOUND = 0.02;
  private static final Pattern ROUTES = Pattern.compile(
      "round (\\d+) \\(attempt \\d+\\): shares of (\\d+) parties: (\\d+) party to party, (\\d+) by the aggregator's relay");

  private static Double allReachableAccuracy;

  @Test
  @Order(1)
  @DisplayName("every peer endpoint reachable: both rounds complete and the aggregator relays no share")
  void everyShareGoesPartyToParty(@TempDir Path dir) throws IOException {
    allReachableAccuracy = null;
    try (LocalFederation federation = start(dir, -1)) {
      JobStatus done = Federations.awaitFinished(federation, Duration.ofMinutes(15));

      assertThat(done.roundsCompleted()).isEqualTo(ROUNDS);
      List<int[]> routes = shareRoutes(federation);
      assertThat(routes).as("one share round per round in\n%s", federation.logTails(20)).hasSize(ROUNDS);
      for (int[] round : routes) {
        assertThat(round[1]).as("parties that shared in round %d", round[0]).isEqualTo(PARTIES);
        assertThat(round[2]).as("shares party to party in round %d", round[0]).isPositive();
        assertThat(round[3]).as("shares relayed in round %d", round[0]).isZero();
      }
      Pattern allDirect = Pattern.compile("shares delivered to (\\d+) of \\1 neighbours over the peer channel, 0 by the "
          + "aggregator's relay");
      for (int i = 0; i < PARTIES; i++) {
        String log = log(federation, FederationPki.partyName(i));
        assertThat(log).doesNotContain("go by the aggregator's relay");
        assertThat(allDirect.matcher(log).results().count()).as("rounds %s shared all directly", i).isEqualTo(ROUNDS);
      }
      assertThat(done.finalAccuracy()).isNotNull();
      allReachableAccuracy = done.finalAccuracy();
      report("all reachable", routes, done);
    }
  }

  @Test
  @Order(2)
  @DisplayName("one party announces a port nobody listens on: its neighbours' shares for it go by the relay, each "
      + "logged with the neighbour and the reason, and the job reaches the same accuracy")
  void unreachablePeerGetsItsSharesByTheRelay(@TempDir Path dir) throws IOException {
    int unreachable = PARTIES - 1;
    String name = FederationPki.partyName(unreachable);
    try (LocalFederation federation = start(dir, unreachable)) {
      int closedPort = announcedPort(federation, unreachable);
      JobStatus done = Federations.awaitFinished(federation, Duration.ofMinutes(15));

      assertThat(done.roundsCompleted()).isEqualTo(ROUNDS);
      Pattern relayLine = Pattern.compile("round (\\d+) \\(attempt \\d+\\): the shares for neighbour "
          + Pattern.quote(name) + " \\(#\\d+\\) go by the aggregator's relay \\(sealed end to end\\): peer "
          + Pattern.quote(name) + " at 127\\.0\\.0\\.1:" + closedPort + ": CONNECTION_REFUSED");
      int[] relayedByRound = new int[ROUNDS + 1];
      for (int i = 0; i < PARTIES; i++) {
        if (i == unreachable) {
          assertThat(log(federation, name)).as("%s reaches its neighbours", name)
              .doesNotContain("go by the aggregator's relay");
          continue;
        }
        Matcher m = relayLine.matcher(log(federation, FederationPki.partyName(i)));
        while (m.find()) {
          relayedByRound[Integer.parseInt(m.group(1))]++;
        }
      }
      List<int[]> routes = shareRoutes(federation);
      assertThat(routes).hasSize(ROUNDS);
      for (int[] round : routes) {
        assertThat(round[3]).as("shares relayed in round %d: one per neighbour of %s that logged it", round[0], name)
            .isPositive().isEqualTo(relayedByRound[round[0]]);
        assertThat(round[2]).as("the other shares went party to party in round %d", round[0]).isPositive();
      }
      assertThat(done.finalAccuracy()).isNotNull();
      report(name + " unreachable", routes, done);
      if (allReachableAccuracy != null) {
        assertThat(done.finalAccuracy()).as("accuracy against the all-reachable job's %s", allReachableAccuracy)
            .isCloseTo(allReachableAccuracy, org.assertj.core.data.Offset.offset(ACCURACY_BOUND));
      }
    }
  }

  /**
   * Starts the server with --secure-aggregation and {@link #PARTIES} parties, each serving its peer endpoint on a
   * free loopback port and announcing it; party {@code unreachable} (or none, -1) announces a port nobody serves.
   */
  private static LocalFederation start(Path dir, int unreachable) {
    LocalFederation.Settings settings = Federations.settings()
        .parties(PARTIES)
        .rounds(ROUNDS)
        .secureAggregation(true);
    LocalFederation federation = LocalFederation.prepare(settings, Federations.jars(), dir);
    try {
      federation.startServer();
      federation.awaitServerListening(Duration.ofMinutes(3));
      int[] ports = distinctFreePorts(PARTIES + 1);
      for (int i = 0; i < PARTIES; i++) {
        int announced = i == unreachable ? ports[PARTIES] : ports[i];
        federation.startParty(i, Map.of(
            PartyOptions.PEER_PORT.flag(), Integer.toString(ports[i]),
            PartyOptions.PEER_ADDRESS.flag(), "127.0.0.1:" + announced));
      }
      return federation;
    } catch (RuntimeException e) {
      federation.close();
      throw e;
    }
  }

  /** The port party {@code index} announced (its command line's --peer-address). */
  private static int announcedPort(LocalFederation federation, int index) {
    List<String> command = federation.parties().get(index).command();
    String address = command.get(command.indexOf(PartyOptions.PEER_ADDRESS.flag()) + 1);
    return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
  }

  /** The figures of a case, for the test's report (round: shared parties, direct, relayed; final accuracy). */
  private static void report(String what, List<int[]> routes, JobStatus done) {
    StringBuilder line = new StringBuilder(what + ":");
    for (int[] round : routes) {
      line.append(String.format(" round %d: %d parties, %d direct, %d relayed;", round[0], round[1], round[2], round[3]));
    }
    System.out.println(line + " final accuracy " + done.finalAccuracy());
  }

  /** Per round, from the server's log: {round, parties that shared, shares party to party, shares relayed}. */
  private static List<int[]> shareRoutes(LocalFederation federation) throws IOException {
    List<int[]> rounds = new ArrayList<>();
    Matcher m = ROUTES.matcher(log(federation, "server"));
    while (m.find()) {
      rounds.add(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
          Integer.parseInt(m.group(4))});
    }
    return rounds;
  }

  private static String log(LocalFederation federation, String process) throws IOException {
    return Files.readString(federation.logDirectory().resolve(process + ".log"));
  }

  /**
   * {@code count} loopback ports free now, all different: the sockets stay open until all are chosen (a party's JVM
   * binds its port seconds later, so a port closed at once could be handed out again). The last one is never bound
   * by anyone: the port nobody listens on.
   */
  private static int[] distinctFreePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a listening socket that was never accepted on
        }
      }
    }
  }
}
