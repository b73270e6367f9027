package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.status.StatusView;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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

/** The server command over real mutual TLS (BoringSSL) on loopback, with certificates made at run time. */
class MutualTlsServerIT {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();


  @Test
  @DisplayName("over mTLS the party is the one in its certificate; a foreign CA is refused at the handshake; the metrics "
      + "endpoint listens on --bind only; the job runs to exit 0")
  void jobOverMutualTls() throws Exception {
    TestPki pki = new TestPki(dir, "tls-job");
    TestPki rogue = new TestPki(dir.resolve("rogue"), "tls-job"); // the same job's names, another CA
    Path server = pki.serverDir();
    Path alice = pki.partyDir("alice");
    Path bob = pki.partyDir("bob");
    Path mallory = rogue.partyDir("mallory");
    int port = FreePorts.next();
    int metricsPort = FreePorts.next();
    Path status = dir.resolve("status.json");

    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ServerMain.run(
        "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--cert", server.resolve("tls.crt").toString(), "--key", server.resolve("tls.key").toString(),
        "--ca", server.resolve("ca.crt").toString(),
        "--job-id", "tls-job", "--rounds", "1", "--min-parties", "2", "--model", "cnn", "--round-timeout", "60s",
        "--final-eval-wait", "20s", "--state-dir", dir.resolve("state").toString(), "--status-file", status.toString(),
        "--metrics-port", String.valueOf(metricsPort)));

    ManagedChannel aliceChannel = channels.open(port, alice);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> HealthGrpc.newBlockingStub(aliceChannel)
        .withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus()
        == HealthCheckResponse.ServingStatus.SERVING);

    // the header claims "mallory"; the certificate says alice, and the certificate wins
    FakeParty a = new FakeParty(aliceChannel, "mallory");
    assertThat(a.connect(100).getPartyName()).isEqualTo("alice");
    FakeParty b = channels.party(port, bob, "bob");
    assertThat(b.connect(300).getPartyName()).isEqualTo("bob");

    FakeParty m = channels.party(port, mallory, "mallory");
    assertThatThrownBy(() -> m.join(1)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

    float[][] v0 = null;
    for (FakeParty p : List.of(a, b)) {
      TrainRequest t = p.nextEvent().getTrain();
      float[][] start = p.fetch(CNN, t.getModelVersion()).tensors();
      v0 = start;
      p.submit(t.getRound(), p == a ? 100 : 300, Map.of("accuracy", 0.5), CNN, start);
    }
    assertThat(v0).isDeepEqualTo(ModelSpecs.initialWeights("cnn", 0));

    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains(ServerMetrics.ROUNDS_COMPLETED, ServerMetrics.BYTES_RECEIVED + "_total",
        ServerMetrics.ROUND_DURATION, ServerMetrics.AGGREGATION_TIME, ServerMetrics.PARTIES_CONNECTED);
    // --bind 127.0.0.1 holds for the metrics endpoint too: another loopback address of this host gets no answer
    assertThatThrownBy(() -> new java.net.Socket("127.0.0.2", metricsPort).close())
        .isInstanceOf(java.net.ConnectException.class);
    // the web view shares that port (so --bind): its page, and the status file's document naming both parties
    HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + metricsPort + "/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.body()).contains("<script src=\"view.js\"></script>");
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(StatusView.LIVE_POLICY);
    JobStatus live = StatusJson.read(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + metricsPort + "/status.json")).build(), HttpResponse.BodyHandlers.ofString())
        .body());
    assertThat(live.jobId()).isEqualTo("tls-job");
    assertThat(live.parties()).containsExactly("alice", "bob");

    for (FakeParty p : List.of(a, b)) {
      RoundEvent fin = p.nextEvent();
      assertThat(fin.hasFinished()).isTrue();
      p.reportEvaluation(fin.getFinished().getModelVersion(), 0.75, 1000);
    }
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    JobStatus s = StatusJson.readFile(status);
    assertThat(s.tlsProvider()).isEqualTo("BoringSSL");
    assertThat(s.roundsCompleted()).isEqualTo(1);
    assertThat(s.finished()).isTrue();
    assertThat(s.parties()).containsExactly("alice", "bob");
    assertThat(s.finalAccuracy()).isEqualTo(0.75);
    assertThat(s.bytesUp()).isGreaterThan(2L * 44_426 * 4);
    // the round's record holds the job's byte totals at its end: every upload came before it
    assertThat(s.rounds().get(0).bytesUpTotal()).isEqualTo(s.bytesUp());
    assertThat(s.rounds().get(0).bytesDownTotal()).isPositive().isLessThanOrEqualTo(s.bytesDown());
  }
}
