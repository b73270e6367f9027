package dev.flotilla.server;

import static dev.flotilla.server.Weights.shifted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.bulk.BulkUploadClient;
import dev.flotilla.protocol.bulk.BulkWire;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.SubmitUpdateResponse;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.testing.FreePorts;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bulk-upload port over real mutual TLS (BoringSSL) on loopback: the server command with
 * --bulk-port, parties with certificates made at run time, updates as raw frames into the same
 * admission, decoder and fold as SubmitUpdate; tickets bound to identities; hostile frames refused
 * with a reason while the round goes on.
 */
class BulkUploadIT {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");
  private static final String JOB = "bulk-job";
  private static final Map<String, Double> METRICS = Map.of("accuracy", 0.1);

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private TestPki pki;
  private int port;
  private int bulkPort;
  private int metricsPort;

  private CompletableFuture<Integer> startServer(String parties, int minParties, int expected, int rounds) {
    return startServer(parties, minParties, expected, rounds, "3s");
  }

  private CompletableFuture<Integer> startServer(String parties, int minParties, int expected, int rounds,
      String idleTimeout) {
    pki = new TestPki(dir, JOB);
    Path server = pki.serverDir();
    port = FreePorts.next();
    bulkPort = FreePorts.next();
    metricsPort = FreePorts.next();
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ServerMain.run(
        "--port", String.valueOf(port), "--bulk-port", String.valueOf(bulkPort), "--bulk-idle-timeout", idleTimeout,
        "--bind", "127.0.0.1", "--metrics-port", String.valueOf(metricsPort),
        "--cert", server.resolve("tls.crt").toString(), "--key", server.resolve("tls.key").toString(),
        "--ca", server.resolve("ca.crt").toString(), "--allow-party", parties,
        "--job-id", JOB, "--rounds", String.valueOf(rounds), "--min-parties", String.valueOf(minParties),
        "--expected-parties", String.valueOf(expected), "--model", "cnn", "--round-timeout", "120s",
        "--final-eval-wait", "1s", "--state-dir", dir.resolve("state").toString()));
    var probe = channels.open(port, pki.partyDir(parties.split(",")[0]));
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> HealthGrpc.newBlockingStub(probe)
        .withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus()
        == HealthCheckResponse.ServingStatus.SERVING);
    return exit;
  }

  private BulkUploadClient bulkClient(String party) {
    TlsFiles files = pki.party(party);
    return new BulkUploadClient(MutualTlsChannels.bulkSslContext(files, ExpectedPeer.aggregatorOf(files.identity())));
  }

  private SubmitUpdateResponse bulkUpload(String party, ByteString ticket, int round, long samples, float[][] weights)
      throws Exception {
    try (BulkUploadClient client = bulkClient(party)) {
      return bulkUpload(client, ticket, round, samples, weights);
    }
  }

  private SubmitUpdateResponse bulkUpload(BulkUploadClient client, ByteString ticket, int round, long samples,
      float[][] weights) throws Exception {
    UpdateHeader header = UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).putAllMetrics(METRICS)
        .build();
    return client.upload("127.0.0.1", bulkPort, pki.serverName(), ticket, () -> TensorChunks.updateStream(header,
        CNN, weights), Duration.ofMinutes(1));
  }

  private static byte[] preamble(ByteString ticket, int round, long samples) throws IOException {
    byte[] header = UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).addAllTensors(TensorChunks.infos(CNN))
        .build().toByteArray();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(BulkWire.MAGIC);
    out.writeByte(ticket.size());
    out.write(ticket.toByteArray());
    out.writeInt(header.length);
    out.write(header);
    return bytes.toByteArray();
  }

  /** The update bytes the server has taken in (flotilla_bytes_received_total). */
  private double bytesReceived() throws Exception {
    String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith(ServerMetrics.BYTES_RECEIVED + "_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  private static byte[] frame(int length) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(length);
    out.write(new byte[length]);
    return bytes.toByteArray();
  }

  @Test
  @DisplayName("a federation over the bulk port: parties with tickets upload raw frames over mTLS, a party without "
      + "the capability uses SubmitUpdate, and each global model is the weighted mean of all their updates")
  void federationOverTheBulkPort() throws Exception {
    CompletableFuture<Integer> exit = startServer("alice,bob,carol", 3, 3, 2);
    FakeParty alice = channels.party(pki, port, "alice");
    FakeParty bob = channels.party(pki, port, "bob");
    FakeParty carol = channels.party(pki, port, "carol");
    JoinResponse aliceJoin = alice.connect(100, BulkWire.CAPABILITY);
    bob.connect(300, BulkWire.CAPABILITY);
    JoinResponse carolJoin = carol.connect(200); // an older party: no capability, no ticket
    assertThat(aliceJoin.getBulkUploadPort()).isEqualTo(bulkPort);
    assertThat(carolJoin.getBulkUploadPort()).isZero();

    // one client per party for the whole job: round 2's upload goes on the connection round 1's left open
    BulkUploadClient aliceClient = bulkClient("alice");
    BulkUploadClient bobClient = bulkClient("bob");
    float[][] global = null;
    for (int round = 1; round <= 2; round++) {
      TrainRequest ra = alice.awaitTrain();
      TrainRequest rb = bob.awaitTrain();
      TrainRequest rc = carol.awaitTrain();
      assertThat(ra.getRound()).isEqualTo(round);
      assertThat(ra.getUploadTicket().size()).isEqualTo(32);
      assertThat(rb.getUploadTicket()).isNotEqualTo(ra.getUploadTicket());
      assertThat(rc.getUploadTicket().isEmpty()).isTrue();
      float[][] base = alice.fetch(CNN, ra.getModelVersion()).tensors();
      if (global != null) {
        // round 1's updates were base + 1, + 2, + 3 with 100, 300 and 200 samples
        float mean = (100f * 1 + 300f * 2 + 200f * 3) / 600f;
        assertThat(base[4][17]).isCloseTo(global[4][17] + mean, within(1e-4f));
        assertThat(base[9][2]).isCloseTo(global[9][2] + mean, within(1e-4f));
      }
      global = base;
      assertThat(bulkUpload(aliceClient, ra.getUploadTicket(), round, 100, shifted(base, 1f)).getValuesReceived())
          .isEqualTo(44_426);
      assertThat(bulkUpload(bobClient, rb.getUploadTicket(), round, 300, shifted(base, 2f)).getValuesReceived())
          .isEqualTo(44_426);
      assertThat(carol.submit(round, 200, METRICS, CNN, shifted(base, 3f)).getValuesReceived()).isEqualTo(44_426);
    }
    assertThat(alice.nextEvent().hasFinished()).isTrue();
    assertThat(exit.get(2, TimeUnit.MINUTES)).isZero();
    aliceClient.close();
    bobClient.close();
  }

  @Test
  @DisplayName("hostile bulk uploads are refused with a reason (another party's ticket, an oversized frame, bytes "
      + "beyond the model, stalls) and the round completes with the good updates")
  void hostileUploadsAreRefusedAndTheRoundGoesOn() throws Exception {
    CompletableFuture<Integer> exit = startServer("alice,bob,carol,dave", 2, 4, 1);
    FakeParty alice = channels.party(pki, port, "alice");
    FakeParty bob = channels.party(pki, port, "bob");
    FakeParty carol = channels.party(pki, port, "carol");
    FakeParty dave = channels.party(pki, port, "dave");
    for (FakeParty p : List.of(alice, bob, carol, dave)) {
      p.connect(100, BulkWire.CAPABILITY);
    }
    TrainRequest ra = alice.awaitTrain();
    TrainRequest rb = bob.awaitTrain();
    TrainRequest rc = carol.awaitTrain();
    TrainRequest rd = dave.awaitTrain();
    float[][] base = alice.fetch(CNN, ra.getModelVersion()).tensors();

    // bob presents alice's ticket on his own TLS connection: refused, and it stays alice's
    assertThatThrownBy(() -> bulkUpload("bob", ra.getUploadTicket(), 1, 100, shifted(base, 9f)))
        .isInstanceOf(StatusException.class)
        .hasMessage("PERMISSION_DENIED: bulk-upload ticket refused: it was issued to another party of job " + JOB
            + ", not to 'bob' (the identity of this TLS connection)");
    assertThat(bulkUpload("alice", ra.getUploadTicket(), 1, 100, shifted(base, 1f)).getValuesReceived())
        .isEqualTo(44_426);

    // bob announces a frame of 2 MiB: refused before it is buffered
    try (RawBulkConnection raw = new RawBulkConnection(bulkPort, pki.party("bob"))) {
      raw.write(preamble(rb.getUploadTicket(), 1, 100)).write(new byte[] {0, 0x20, 0, 0});
      RawBulkConnection.Answer answer = raw.answer();
      assertThat(answer.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
      assertThat(answer.description()).isEqualTo("update of party 'bob' refused: a data frame of 2097152 bytes, "
          + "more than 1048576");
    }

    // carol sends the whole model and then more: refused by the decoder as SubmitUpdate's would be
    try (RawBulkConnection raw = new RawBulkConnection(bulkPort, pki.party("carol"))) {
      raw.write(preamble(rc.getUploadTicket(), 1, 100)).write(frame(44_426 * 4)).write(frame(4));
      RawBulkConnection.Answer answer = raw.answer();
      assertThat(answer.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
      assertThat(answer.description()).startsWith("update of party 'carol' refused: stream carries more than the 44426");
    }

    // dave stalls before his ticket, then in the middle of his update: each connection is cut with the reason
    try (RawBulkConnection raw = new RawBulkConnection(bulkPort, pki.party("dave"))) {
      raw.write(new byte[] {'F', 'L'});
      RawBulkConnection.Answer answer = raw.answer();
      assertThat(answer.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
      assertThat(answer.description()).isEqualTo("no complete ticket and update header within 3s "
          + "(--bulk-idle-timeout)");
    }
    try (RawBulkConnection raw = new RawBulkConnection(bulkPort, pki.party("dave"))) {
      raw.write(preamble(rd.getUploadTicket(), 1, 100)).write(frame(4096));
      RawBulkConnection.Answer answer = raw.answer();
      assertThat(answer.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
      assertThat(answer.description()).isEqualTo("no bytes from party 'dave' for 3s (--bulk-idle-timeout)");
    }
    // a stall is no refusal of the content: dave's ticket is used up, so he sends his update by SubmitUpdate
    assertThat(dave.submit(1, 100, METRICS, CNN, shifted(base, 3f)).getValuesReceived()).isEqualTo(44_426);

    // the round completed with alice's and dave's updates (bob and carol refused)
    assertThat(alice.nextEvent().hasFinished()).isTrue();
    assertThat(exit.get(2, TimeUnit.MINUTES)).isZero();
    float[][] exported = dev.flotilla.protocol.model.Safetensors.read(dir.resolve("state")
        .resolve(ServerConfig.DEFAULT_EXPORT_FILE)).values();
    assertThat(exported[4][17]).isCloseTo(base[4][17] + 2f, within(1e-4f)); // (1 + 3) / 2 with 100 samples each
    assertThat(exported[0][0]).isCloseTo(base[0][0] + 2f, within(1e-4f));
  }

  @Test
  @DisplayName("a party that floods the bulk port keeps one connection: each newer idle one replaces the older, one "
      + "more during its upload is refused with the reason, and the other parties still upload over the port")
  void aFloodingPartyHoldsOneConnection() throws Exception {
    // the port's global cap: 2 + 16 connections; idle ones are kept for a minute
    CompletableFuture<Integer> exit = startServer("alice,bob", 2, 2, 1, "60s");
    FakeParty alice = channels.party(pki, port, "alice");
    FakeParty bob = channels.party(pki, port, "bob");
    alice.connect(100, BulkWire.CAPABILITY);
    bob.connect(100, BulkWire.CAPABILITY);
    TrainRequest ra = alice.awaitTrain();
    TrainRequest rb = bob.awaitTrain();
    float[][] base = alice.fetch(CNN, ra.getModelVersion()).tensors();

    // bob opens more connections than the global cap and keeps them all open: the server closes every older one
    List<RawBulkConnection> flood = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) {
        flood.add(new RawBulkConnection(bulkPort, pki.party("bob")));
      }
      RawBulkConnection last = flood.get(flood.size() - 1);
      await().atMost(Duration.ofMinutes(1)).until(() -> flood.stream().filter(RawBulkConnection::isOpen).count() == 1);
      assertThat(last.isOpen()).isTrue();

      // alice's update goes over the bulk port (no fallback to SubmitUpdate needed)
      assertThat(bulkUpload("alice", ra.getUploadTicket(), 1, 100, shifted(base, 1f)).getValuesReceived())
          .isEqualTo(44_426);

      // bob starts his upload on his one connection; once the server has its first frame, another is refused
      double before = bytesReceived();
      byte[] preamble = preamble(rb.getUploadTicket(), 1, 100);
      last.write(preamble).write(frame(4096));
      await().atMost(Duration.ofMinutes(1)).until(() -> bytesReceived() >= before + 4 + 4096);
      try (RawBulkConnection extra = new RawBulkConnection(bulkPort, pki.party("bob"))) {
        RawBulkConnection.Answer answer = extra.answer();
        assertThat(answer.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
        assertThat(answer.description()).isEqualTo("party 'bob' has an upload in progress on another bulk-upload "
            + "connection; the port takes one connection per party");
      }
      // ... and the upload in progress is untouched: the rest of the model, the end frame, accepted
      last.write(frame(44_426 * 4 - 4096)).write(new byte[4]);
      assertThat(last.answer().code()).isEqualTo(BulkWire.OK);
    } finally {
      flood.forEach(RawBulkConnection::close);
    }
    assertThat(alice.nextEvent().hasFinished()).isTrue();
    assertThat(exit.get(2, TimeUnit.MINUTES)).isZero();
  }
}
