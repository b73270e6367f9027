package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.demo.TlsPaths;
import dev.flotilla.party.client.MutualTlsChannelFactory;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A study split over party pods: a real aggregator process and two party processes each hosting 5 virtual
 * parties train Fashion-MNIST over mutual TLS, and the one-process simulator runs the same job (partition,
 * seed, hyper-parameters) for comparison. A virtual name outside a host's certificate is refused with its
 * reason while the rounds go on.
 */
@RequiresRealServers(RealServer.FASHION_MNIST)
@DisplayName("Virtual parties in two party processes over mTLS train as the one-process simulator does")
class VirtualPartyPodsIT {

  static final int HOSTS = 2;
  static final int PER_HOST = 5;
  static final int PARTIES = HOSTS * PER_HOST;
  static final int ROUNDS = 2;
  static final String PARTITION = "dirichlet:0.5";
  static final long SEED = 42;
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(25);
  private static final Pattern PART_LINE = Pattern.compile(
      "virtual party (\\S+): part (\\d+) of " + PARTIES + " \\(([^,]+), seed " + SEED + "\\), (\\d+) training samples");

  @Test
  @DisplayName("10 virtual parties in 2 processes: 2 rounds of 10 parties, accuracy rises, per-party samples and "
      + "final accuracy as the simulator's; pod-a's certificate cannot act as pod-a-v5 or pod-b-v0")
  void studyOverTwoPods(@TempDir Path dir) throws Exception {
    JsonObject simulated = simulate(dir.resolve("simulator"));

    LocalFederation.Settings settings = new LocalFederation.Settings()
        .jobId("study")
        .parties(PARTIES)
        .minParties(PARTIES)
        .rounds(ROUNDS)
        .model("mlp")
        .partition(PARTITION)
        .seed(SEED)
        .dataDirectory(RealServer.fashionMnistDirectory())
        .localEpochs(1)
        .batchSize(64)
        .roundTimeout(Duration.ofMinutes(10))
        .serverArg(ServerOptions.VIRTUAL_PARTIES_PER_HOST.flag(), Integer.toString(PER_HOST));
    Path jars = Files.createDirectories(dir.resolve("jars"));
    try (LocalFederation federation = LocalFederation.prepare(settings,
        FlotillaJars.locate().snapshot(jars, "aggregator-server", "party"), dir.resolve("federation"))) {
      federation.startServer();
      try {
        federation.awaitServerListening(Duration.ofMinutes(3));
      } catch (LocalFederation.FederationFailure e) {
        fail(e.getMessage() + "\n" + e.logs());
      }
      List<ChildProcess> hosts = new ArrayList<>();
      for (int h = 0; h < HOSTS; h++) {
        hosts.add(federation.startVirtualPartyHost("pod-" + (char) ('a' + h), PER_HOST, h * PER_HOST));
      }

      // a hostile pod: pod-a's certificate, naming parties it does not cover, on connections of its own
      TlsPaths podA = TlsPaths.inDirectory(federation.directory().resolve("pki/hosts/pod-a"));
      assertRefused(federation, podA, "pod-a-v5", "virtual party 'pod-a-v5' is not covered by the certificate of "
          + "spiffe://flotilla.local/job/study/party/pod-a/virtual/5, which covers "
          + "pod-a-v0 .. pod-a-v4 only");
      assertRefused(federation, podA, "pod-b-v0", "virtual party 'pod-b-v0' is not covered");

      OptionalInt serverExit = federation.server().waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (serverExit.isEmpty() || serverExit.getAsInt() != 0) {
        fail("server " + serverExit + "\n" + federation.logTails(60));
      }
      for (ChildProcess host : hosts) {
        OptionalInt code = host.waitFor(2, TimeUnit.MINUTES);
        assertThat(code).as(host.name() + "\n" + host.tail(40)).hasValue(0);
      }
      JobStatus status = federation.status().orElseGet(() -> fail("no status " + federation.statusFile()));
      System.out.println("pods: per round " + status.accuracyPerRound() + ", final " + status.finalAccuracy()
          + "; simulator: per round " + simulated.get("accuracy_per_round") + ", final "
          + simulated.get("final_accuracy"));

      List<String> names = new ArrayList<>();
      for (int h = 0; h < HOSTS; h++) {
        for (int i = 0; i < PER_HOST; i++) {
          names.add("pod-" + (char) ('a' + h) + "-v" + i);
        }
      }
      assertThat(status.finished()).as(StatusJson.write(status)).isTrue();
      assertThat(status.roundsCompleted()).isEqualTo(ROUNDS);
      assertThat(status.parties()).containsExactlyInAnyOrderElementsOf(names);
      for (RoundRecord round : status.rounds()) {
        assertThat(round.parties()).as("round %d", round.round()).containsExactlyInAnyOrderElementsOf(names);
      }
      assertThat(federation.server().log()).contains("refused Join", "'pod-a-v5' is not covered");

      // the same split as the simulator's: each virtual party's part holds the simulator's party's sample count
      Map<Integer, Integer> podSamples = new LinkedHashMap<>();
      for (ChildProcess host : hosts) {
        Matcher m = PART_LINE.matcher(host.log());
        while (m.find()) {
          assertThat(m.group(3)).isEqualTo(PARTITION);
          podSamples.put(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(4)));
        }
      }
      Map<Integer, Integer> simulatorSamples = new LinkedHashMap<>();
      int p = 0;
      for (JsonElement party : simulated.getAsJsonObject("partition_split").getAsJsonArray("parties")) {
        simulatorSamples.put(p++, party.getAsJsonObject().get("samples").getAsInt());
      }
      assertThat(podSamples).hasSize(PARTIES).isEqualTo(simulatorSamples);
      long trained = simulatorSamples.values().stream().mapToLong(Integer::longValue).sum();
      assertThat(status.rounds()).allSatisfy(r -> assertThat(r.samples()).isEqualTo(trained));

      // it learns, and as the simulator does: the final model, evaluated on the parties' disjoint test shards
      // (together the whole test set) against the simulator's central evaluation of its final model
      List<Double> perRound = status.accuracyPerRound();
      assertThat(perRound).hasSizeGreaterThanOrEqualTo(2);
      assertThat(perRound.get(perRound.size() - 1)).as("per round %s", perRound).isGreaterThan(perRound.get(0));
      double simulatorFinal = simulated.get("final_accuracy").getAsDouble();
      assertThat(status.finalAccuracy()).isNotNull();
      assertThat(status.finalAccuracy()).as("pods %s, simulator %s", status.finalAccuracy(), simulatorFinal)
          .isGreaterThan(0.6)
          .isCloseTo(simulatorFinal, org.assertj.core.data.Offset.offset(0.03));
    }
  }

  /** The one-process simulator on the same job; its report. */
  private static JsonObject simulate(Path dir) throws Exception {
    Path report = dir.resolve("report.json");
    StringWriter out = new StringWriter();
    CommandLine command = SimulateCommand.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(out, true));
    int code = command.execute("--data", RealServer.fashionMnistDirectory().toString(), "--parties",
        Integer.toString(PARTIES), "--rounds", Integer.toString(ROUNDS), "--model", "mlp", "--partition", PARTITION,
        "--seed", Long.toString(SEED), "--local-epochs", "1", "--batch-size", "64", "--state-dir",
        dir.resolve("state").toString(), "--report", report.toString());
    assertThat(code).as(out.toString()).isZero();
    return JsonParser.parseString(Files.readString(report)).getAsJsonObject();
  }

  /** Joins as {@code virtualName} with {@code host}'s certificate: PERMISSION_DENIED, its description containing {@code reason}. */
  private static void assertRefused(LocalFederation federation, TlsPaths host, String virtualName, String reason) {
    MutualTlsChannelFactory channels = new MutualTlsChannelFactory("127.0.0.1:" + federation.port(),
        federation.pki().serverName(), null, host.certificate(), host.privateKey(), host.trustedCa(),
        dev.flotilla.party.client.PartyIdentity.fromCertificateFile(host.certificate()).identity());
    ManagedChannel channel = channels.forVirtualParty(virtualName).open();
    try {
      StatusRuntimeException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> FederationGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES)
              .join(JoinRequest.newBuilder().setNumSamples(100).build()),
          StatusRuntimeException.class);
      assertThat(refused).as("Join as " + virtualName).isNotNull();
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(refused.getStatus().getDescription()).contains(reason);
    } finally {
      channel.shutdownNow();
    }
  }
}
