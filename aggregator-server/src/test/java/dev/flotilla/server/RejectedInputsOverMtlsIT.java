package dev.flotilla.server;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static dev.flotilla.server.Weights.shifted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 over real processes' transport: the server command on mutual TLS (BoringSSL) on loopback,
 * parties with certificates issued at run time, and every kind of bad input refused with its own
 * status code and description while the job goes on.
 */
class RejectedInputsOverMtlsIT {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");
  private static final String JOB = "rej-job";

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();


  private static List<UpdateChunk> chunks(int round, long samples, float[][] weights) {
    List<UpdateChunk> out = new ArrayList<>();
    TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).build(), CNN, weights)
        .forEachRemaining(out::add);
    return out;
  }

  @Test
  @DisplayName("over mTLS each bad input gets its status code and a description of the fault; the round completes "
      + "with the good updates and the next round completes with every party")
  void rejectedInputsOverMutualTls() throws Exception {
    TestPki pki = new TestPki(dir, JOB);
    Path server = pki.serverDir();
    Path alice = pki.partyDir("alice");
    Path bob = pki.partyDir("bob");
    Path carol = pki.partyDir("carol");
    Path eve = pki.partyDir("eve"); // a valid certificate of the job's CA, but not on --allow-party
    int port = FreePorts.next();
    Path status = dir.resolve("status.json");

    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> ServerMain.run(
        "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--cert", server.resolve("tls.crt").toString(), "--key", server.resolve("tls.key").toString(),
        "--ca", server.resolve("ca.crt").toString(), "--allow-party", "alice,bob,carol",
        "--job-id", JOB, "--rounds", "2", "--min-parties", "2", "--expected-parties", "3", "--model", "cnn",
        "--round-timeout", "60s",
        "--final-eval-wait", "20s", "--max-message-kib", "2048", "--state-dir", dir.resolve("state").toString(),
        "--status-file", status.toString()));

    ManagedChannel aliceChannel = channels.open(port, alice);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> HealthGrpc.newBlockingStub(aliceChannel)
        .withDeadlineAfter(2, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus()
        == HealthCheckResponse.ServingStatus.SERVING);

    // an unknown party: its certificate is good, its identity is not on the allow-list
    FakeParty e = channels.party(port, eve, "eve");
    assertRefused(() -> e.join(10), Status.Code.PERMISSION_DENIED,
        "party 'eve' is not allowed in job " + JOB + " (not on its --allow-party list)");

    FakeParty a = new FakeParty(aliceChannel, "alice");
    FakeParty b = channels.party(port, bob, "bob");
    FakeParty c = channels.party(port, carol, "carol");
    a.connect(100);
    b.connect(300);
    c.connect(200);
    TrainRequest ra = a.awaitTrain();
    assertThat(ra.getRound()).isEqualTo(1);
    b.awaitTrain();
    c.awaitTrain();
    float[][] v0 = a.fetch(CNN, ra.getModelVersion()).tensors();
    float[][] good = shifted(v0, 1f);
    Map<String, Double> m = Map.of("accuracy", 0.1);

    assertRefused(() -> e.submit(1, 10, m, CNN, good), Status.Code.PERMISSION_DENIED,
        "party 'eve' is not allowed in job " + JOB);

    // the wrong round, then a good update, then a second submission for the same round
    assertRefused(() -> a.submit(2, 100, m, CNN, good), Status.Code.FAILED_PRECONDITION,
        "is for round 2 but the current round of job " + JOB + " is 1");
    assertThat(a.submit(1, 100, m, CNN, good).getValuesReceived()).isEqualTo(44_426);
    assertRefused(() -> a.submit(1, 100, m, CNN, good), Status.Code.ALREADY_EXISTS,
        "party 'alice' already submitted an update for round 1");

    // bob: a wrong tensor shape, a wrong tensor name, NaN, Inf; then a good update
    List<UpdateChunk> valid = chunks(1, 300, good);
    UpdateHeader h = valid.get(0).getHeader();
    List<UpdateChunk> reshaped = new ArrayList<>(valid);
    reshaped.set(0, UpdateChunk.newBuilder().setHeader(h.toBuilder().setTensors(4,
        h.getTensors(4).toBuilder().clearShape().addShape(256).addShape(120))).build());
    assertRefused(() -> b.submitRaw(reshaped), Status.Code.INVALID_ARGUMENT,
        "tensor 'fc1.weight' has shape [256, 120], expected [120, 256]");
    List<UpdateChunk> renamed = new ArrayList<>(valid);
    renamed.set(0, UpdateChunk.newBuilder().setHeader(h.toBuilder().setTensors(0,
        h.getTensors(0).toBuilder().setName("conv0.weight"))).build());
    assertRefused(() -> b.submitRaw(renamed), Status.Code.INVALID_ARGUMENT,
        "tensor 0 is named 'conv0.weight', expected 'conv1.weight'");
    float[][] nan = shifted(v0, 2f);
    nan[4][17] = Float.NaN;
    assertRefused(() -> b.submitRaw(chunks(1, 300, nan)), Status.Code.INVALID_ARGUMENT,
        "tensor 'fc1.weight' element 17 is NaN");
    float[][] inf = shifted(v0, 2f);
    inf[9][2] = Float.NEGATIVE_INFINITY;
    assertRefused(() -> b.submitRaw(chunks(1, 300, inf)), Status.Code.INVALID_ARGUMENT,
        "tensor 'fc3.bias' element 2 is -Infinity");
    b.submit(1, 300, m, CNN, shifted(v0, 2f));

    // carol: a gRPC message over --max-message-kib, then a data chunk over the protocol's 1 MiB limit
    UpdateChunk carolHeader = chunks(1, 200, good).get(0);
    List<UpdateChunk> overMessageLimit = List.of(carolHeader,
        UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[3 << 20])).build());
    assertRefused(() -> c.submitRaw(overMessageLimit), Status.Code.RESOURCE_EXHAUSTED, "exceeds maximum size 2097152");
    List<UpdateChunk> overChunkLimit = List.of(carolHeader,
        UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[TensorChunks.MAX_CHUNK_BYTES + 4])).build());
    assertRefused(() -> c.submitRaw(overChunkLimit), Status.Code.RESOURCE_EXHAUSTED,
        "data chunk of 1048580 bytes exceeds the limit of 1048576 bytes");

    // round 1 completes with alice and bob only: (1 * 100 + 2 * 300) / 400 = 1.75, no trace of the refusals
    TrainRequest ra2 = a.awaitTrain();
    assertThat(ra2.getRound()).isEqualTo(2);
    assertThat(ra2.getModelVersion()).isEqualTo(1);
    float[][] v1 = a.fetch(CNN, ra2.getModelVersion()).tensors();
    for (int t = 0; t < v0.length; t++) {
      for (int i = 0; i < v0[t].length; i += 97) {
        assertThat((double) v1[t][i]).isCloseTo(v0[t][i] + 1.75, within(1e-5));
      }
    }

    // round 2: every party, carol included, is asked again and the round completes
    TrainRequest rb2 = b.awaitTrain();
    TrainRequest rc2 = c.awaitTrain();
    assertThat(List.of(rb2.getRound(), rc2.getRound())).containsExactly(2, 2);
    a.submit(2, 100, m, CNN, v1);
    b.submit(2, 300, m, CNN, v1);
    c.submit(2, 200, m, CNN, v1);
    for (FakeParty p : List.of(a, b, c)) {
      RoundEvent fin = p.nextEvent();
      assertThat(fin.hasFinished()).as(p.name + " got " + fin).isTrue();
      p.reportEvaluation(fin.getFinished().getModelVersion(), 0.5, 1000);
    }
    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();

    JobStatus s = StatusJson.readFile(status);
    assertThat(s.roundsCompleted()).isEqualTo(2);
    assertThat(s.parties()).containsExactly("alice", "bob", "carol");
    assertThat(s.round(1).orElseThrow().parties()).containsExactly("alice", "bob");
    assertThat(s.round(1).orElseThrow().lateOrDropped().get("carol")).startsWith("rejected: ").contains("exceeds the limit");
    assertThat(s.round(2).orElseThrow().parties()).containsExactly("alice", "bob", "carol");
  }
}
