package dev.flotilla.server;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static dev.flotilla.server.Weights.shifted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.testing.FreePorts;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, finding 2, on the server jar over mutual TLS: a party cannot set the global model by
 * claiming samples, cannot overflow the weighting, cannot break the status file with non-finite or
 * oversized metrics; with --max-update-norm an update far from the global model is refused or
 * clipped exactly, also when it arrives in many chunks.
 */
class UpdateAdmissionIT {

  private static final List<TensorSpec> MLP = ModelSpecs.forName("mlp");

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  private ServerProcess start(TestPki pki, int port, String... extra) throws Exception {
    String[] args = Stream.concat(Stream.of("--job-id", "adm-job", "--min-parties", "2", "--expected-parties", "3",
        "--model", "mlp", "--round-timeout", "60s", "--final-eval-wait", "20s", "--join-grace", "2s",
        "--status-file", dir.resolve("status.json").toString()), Stream.of(extra)).toArray(String[]::new);
    ServerProcess server = ServerProcess.onLoopback(dir, pki, port, args);
    server.awaitServing(channels.open(pki, port, "probe"));
    return server;
  }

  /** The status file, read strictly (NaN or Infinity would be refused). */
  private JobStatus strictStatus() throws Exception {
    return StatusJson.readFile(dir.resolve("status.json"));
  }

  @Test
  @DisplayName("absurd, zero, negative and Long.MAX_VALUE sample counts and non-finite or oversized metrics are refused "
      + "with a description; an update may claim at most what its party announced at Join; the global model is the "
      + "weighted mean of the honest claims and the status file stays strict JSON")
  void sampleCountsAndMetrics() throws Exception {
    TestPki pki = new TestPki(dir, "adm-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "--rounds", "2")) {
      FakeParty a = channels.party(pki, port, "alice");
      FakeParty b = channels.party(pki, port, "bob");
      FakeParty m = channels.party(pki, port, "mallory");

      // at Join: the count must be positive and at most --max-samples-per-party (default 10^8)
      assertRefused(() -> m.join(1_000_000_000_000L), Status.Code.INVALID_ARGUMENT,
          "party 'mallory' announced num_samples 1000000000000 at Join, more than the 100000000 a party may hold in "
              + "this job (--max-samples-per-party)");
      assertRefused(() -> m.join(Long.MAX_VALUE), Status.Code.INVALID_ARGUMENT,
          "announced num_samples 9223372036854775807 at Join, more than the 100000000");
      assertRefused(() -> m.join(0), Status.Code.INVALID_ARGUMENT, "announced num_samples 0 at Join; it must be > 0");
      assertRefused(() -> m.join(-5), Status.Code.INVALID_ARGUMENT, "announced num_samples -5 at Join; it must be > 0");

      a.connect(100);
      b.connect(300);
      m.connect(200);
      TrainRequest t = a.awaitTrain();
      b.awaitTrain();
      m.awaitTrain();
      float[][] v0 = a.fetch(MLP, t.getModelVersion()).tensors();
      float[][] evil = shifted(v0, 50f);
      Map<String, Double> ok = Map.of("accuracy", 0.1);

      // in an update: 1..the count announced at Join
      assertRefused(() -> m.submit(1, 1_000_000_000_000L, ok, MLP, evil), Status.Code.INVALID_ARGUMENT,
          "update of party 'mallory' claims 1000000000000 samples, more than the 200 it announced at Join");
      assertRefused(() -> m.submit(1, Long.MAX_VALUE, ok, MLP, evil), Status.Code.INVALID_ARGUMENT,
          "claims 9223372036854775807 samples, more than the 200 it announced at Join");
      assertRefused(() -> m.submit(1, 0, ok, MLP, evil), Status.Code.INVALID_ARGUMENT,
          "update num_samples must be > 0, got 0");
      assertRefused(() -> m.submit(1, -1, ok, MLP, evil), Status.Code.INVALID_ARGUMENT,
          "update num_samples must be > 0, got -1");
      // metrics: finite, at most 32, plain names of at most 64 characters
      assertRefused(() -> m.submit(1, 200, Map.of("accuracy", Double.NaN), MLP, evil), Status.Code.INVALID_ARGUMENT,
          "update of party 'mallory': metric 'accuracy' is NaN; metrics must be finite numbers");
      assertRefused(() -> m.submit(1, 200, Map.of("loss", Double.POSITIVE_INFINITY), MLP, evil),
          Status.Code.INVALID_ARGUMENT, "metric 'loss' is Infinity");
      Map<String, Double> many = new LinkedHashMap<>();
      for (int i = 0; i < 33; i++) {
        many.put("m" + i, 1.0);
      }
      assertRefused(() -> m.submit(1, 200, many, MLP, evil), Status.Code.INVALID_ARGUMENT,
          "carries 33 metrics, more than the 32 allowed");
      assertRefused(() -> m.submit(1, 200, Map.of("x".repeat(100), 1.0), MLP, evil), Status.Code.INVALID_ARGUMENT,
          "has a metric name of 100 characters, more than the 64 allowed");
      assertRefused(() -> m.submit(1, 200, Map.of("acc\ninjected", 1.0), MLP, evil), Status.Code.INVALID_ARGUMENT,
          "has a metric name that is not made of letters, digits and _ . : / -");

      // the honest updates, mallory's within its claim: (100 * 1 + 300 * 2 + 200 * 3) / 600
      m.submit(1, 200, ok, MLP, shifted(v0, 3f));
      a.submit(1, 100, ok, MLP, shifted(v0, 1f));
      b.submit(1, 300, ok, MLP, shifted(v0, 2f));
      TrainRequest t2 = a.awaitTrain();
      assertThat(t2.getRound()).isEqualTo(2);
      float[][] v1 = a.fetch(MLP, t2.getModelVersion()).tensors();
      for (int k = 0; k < v0.length; k++) {
        for (int i = 0; i < v0[k].length; i += 101) {
          assertThat((double) v1[k][i]).isCloseTo(v0[k][i] + 1300.0 / 600, within(1e-5));
        }
      }

      b.awaitTrain();
      m.awaitTrain();
      // finite but huge: 3 x 100 x 1e307 overflows a plain weighted sum
      for (FakeParty p : List.of(a, b, m)) {
        p.submit(2, 100, Map.of("accuracy", 0.5, "loss", 1e307), MLP, v1);
      }
      for (FakeParty p : List.of(a, b, m)) {
        assertThat(p.nextEvent().hasFinished()).isTrue();
      }
      // final evaluations: finite metrics, 0..--max-samples-per-party test samples
      assertRefused(() -> m.reportEvaluation(2, Double.NaN, 1000), Status.Code.INVALID_ARGUMENT,
          "evaluation of party 'mallory': metric 'accuracy' is NaN");
      assertRefused(() -> m.reportEvaluation(2, 0.9, Long.MAX_VALUE), Status.Code.INVALID_ARGUMENT,
          "evaluation of party 'mallory' claims 9223372036854775807 test samples; it must be in 0..100000000");
      for (FakeParty p : List.of(a, b, m)) {
        p.reportEvaluation(2, 0.5, 1000);
      }
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(server.process().exitValue()).isZero();

      JobStatus s = strictStatus();
      assertThat(s.enrollment()).isEqualTo("open");
      RoundRecord round1 = s.round(1).orElseThrow();
      assertThat(round1.samples()).isEqualTo(600);
      assertThat(round1.attempts()).isEqualTo(1);
      assertThat(s.round(2).orElseThrow().metrics().get("loss"))
          .isCloseTo(1e307, org.assertj.core.api.Assertions.withinPercentage(1e-9));
      assertThat(s.finalAccuracy()).isEqualTo(0.5);
    }
  }

  /** v0 plus a random direction of exactly the given L2 length (before rounding to float32). */
  private static float[][] awayFrom(float[][] v0, double length, long seed) {
    Random random = new Random(seed);
    double[][] d = new double[v0.length][];
    double squared = 0;
    for (int t = 0; t < v0.length; t++) {
      d[t] = new double[v0[t].length];
      for (int i = 0; i < d[t].length; i++) {
        d[t][i] = random.nextGaussian();
        squared += d[t][i] * d[t][i];
      }
    }
    double scale = length / Math.sqrt(squared);
    float[][] out = new float[v0.length][];
    for (int t = 0; t < v0.length; t++) {
      out[t] = new float[v0[t].length];
      for (int i = 0; i < out[t].length; i++) {
        out[t][i] = (float) (v0[t][i] + d[t][i] * scale);
      }
    }
    return out;
  }

  /** The L2 distance the server sees: float32 values, differences in double. */
  private static double distance(float[][] update, float[][] v0) {
    double squared = 0;
    for (int t = 0; t < v0.length; t++) {
      for (int i = 0; i < v0[t].length; i++) {
        double d = (double) update[t][i] - v0[t][i];
        squared += d * d;
      }
    }
    return Math.sqrt(squared);
  }

  /** The update as the header and data chunks of 64 KiB (mlp is 7 of them), so it is folded from many chunks. */
  private static List<UpdateChunk> inSmallChunks(int round, long samples, float[][] weights) {
    List<UpdateChunk> out = new ArrayList<>();
    out.add(UpdateChunk.newBuilder().setHeader(UpdateHeader.newBuilder().setRound(round).setNumSamples(samples)
        .putMetrics("accuracy", 0.5).addAllTensors(TensorChunks.infos(MLP))).build());
    TensorChunks.dataChunks(weights, 64 << 10).forEachRemaining(c -> out.add(UpdateChunk.newBuilder().setData(c).build()));
    return out;
  }

  /** a and b join with these sample counts and open their Rounds streams; returns the model round 1 starts from. */
  private static float[][] joinRound1(FakeParty a, long aSamples, FakeParty b, long bSamples) throws Exception {
    a.connect(aSamples);
    b.connect(bSamples);
    TrainRequest t = a.awaitTrain();
    b.awaitTrain();
    return a.fetch(MLP, t.getModelVersion()).tensors();
  }

  /** Both parties are told the job finished (after its one round); returns the model that round made. */
  private static float[][] awaitFinished(FakeParty a, FakeParty b) throws Exception {
    for (FakeParty p : List.of(a, b)) {
      assertThat(p.nextEvent().hasFinished()).isTrue();
    }
    return a.fetch(MLP, 1).tensors();
  }

  @Test
  @DisplayName("--update-norm-action refuse: an update in many chunks beyond --max-update-norm is refused with its "
      + "distance and leaves no trace (the round completes in its first attempt with the updates within the bound)")
  void normBoundRefuses() throws Exception {
    TestPki pki = new TestPki(dir, "adm-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "--rounds", "1", "--max-update-norm", "1.0",
        "--update-norm-action", "refuse")) {
      FakeParty a = channels.party(pki, port, "alice");
      FakeParty b = channels.party(pki, port, "bob");
      float[][] v0 = joinRound1(a, 100, b, 300);

      float[][] far = awayFrom(v0, 5.0, 1);
      assertThat(inSmallChunks(1, 100, far)).hasSizeGreaterThan(3);
      assertRefused(() -> a.submitRaw(inSmallChunks(1, 100, far)), Status.Code.INVALID_ARGUMENT,
          String.format(java.util.Locale.ROOT, "update of party 'alice' is at L2 distance %.6g from the global model, "
              + "beyond --max-update-norm 1.0", distance(far, v0)));
      float[][] nearA = awayFrom(v0, 0.5, 2);
      float[][] nearB = awayFrom(v0, 0.25, 3);
      a.submitRaw(inSmallChunks(1, 100, nearA));
      b.submitRaw(inSmallChunks(1, 300, nearB));
      float[][] v1 = awaitFinished(a, b);
      for (int k = 0; k < v0.length; k++) {
        for (int i = 0; i < v0[k].length; i++) {
          double expected = (100.0 * nearA[k][i] + 300.0 * nearB[k][i]) / 400;
          assertThat((double) v1[k][i]).isCloseTo(expected, within(1e-6));
        }
      }
      RoundRecord round1 = strictStatus().round(1).orElseThrow();
      assertThat(round1.attempts()).as("no retry: the refused update was never folded").isEqualTo(1);
      try (var spool = Files.list(dir.resolve("state").resolve("spool"))) {
        assertThat(spool).as("spool files left behind").isEmpty();
      }
      assertThat(server.log()).contains("L2 distance");
    }
  }

  @Test
  @DisplayName("--update-norm-action clip: an update in many chunks beyond --max-update-norm is folded as exactly "
      + "global + d * bound / ||d||, one within the bound as sent")
  void normBoundClipsExactly() throws Exception {
    TestPki pki = new TestPki(dir, "adm-job");
    int port = FreePorts.next();
    try (ServerProcess server = start(pki, port, "--rounds", "1", "--max-update-norm", "1.0",
        "--update-norm-action", "clip")) {
      FakeParty a = channels.party(pki, port, "alice");
      FakeParty b = channels.party(pki, port, "bob");
      float[][] v0 = joinRound1(a, 100, b, 300);

      float[][] far = awayFrom(v0, 5.0, 4);
      float[][] near = awayFrom(v0, 0.5, 5);
      a.submitRaw(inSmallChunks(1, 100, far));
      b.submitRaw(inSmallChunks(1, 300, near));
      float[][] v1 = awaitFinished(a, b);
      double s = 1.0 / distance(far, v0);
      double maxError = 0;
      for (int k = 0; k < v0.length; k++) {
        for (int i = 0; i < v0[k].length; i++) {
          double clipped = v0[k][i] + ((double) far[k][i] - v0[k][i]) * s;
          double expected = (100.0 * clipped + 300.0 * near[k][i]) / 400;
          maxError = Math.max(maxError, Math.abs(v1[k][i] - expected));
        }
      }
      // the global model is float32: within one rounding of the exact value
      assertThat(maxError).isLessThan(1e-6);
      assertThat(server.log()).contains("update of party alice accepted").contains("clipped from L2 distance");
    }
  }
}
