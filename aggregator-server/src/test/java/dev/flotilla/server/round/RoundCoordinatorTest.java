package dev.flotilla.server.round;

import static dev.flotilla.server.GrpcAssertions.assertRefused;
import static dev.flotilla.server.Weights.shifted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.v1.Encoding;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.protocol.v1.UpdateChunk;
import dev.flotilla.protocol.v1.UpdateHeader;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundCoordinatorTest {

  private static final List<TensorSpec> CNN = ModelSpecs.forName("cnn");

  @TempDir
  Path dir;

  private ServerConfig.Builder config() {
    return ServerConfig.builder().jobId("jobT").model("cnn").seed(11).rounds(2).minParties(2).expectedParties(3)
        .joinGrace(Duration.ofSeconds(5)).roundTimeout(Duration.ofSeconds(30))
        .finalEvaluationWait(Duration.ofSeconds(10)).stateDir(dir.resolve("state")).statusFile(dir.resolve("status.json"));
  }

  /** The party trains: fetches the model of the request, submits it shifted by delta. */
  private static float[][] train(FakeParty p, long samples, float delta, double accuracy) throws Exception {
    TrainRequest req = p.awaitTrain();
    float[][] start = p.fetch(CNN, req.getModelVersion()).tensors();
    float[][] trained = shifted(start, delta);
    p.submit(req.getRound(), samples, Map.of("accuracy", accuracy, "loss", 1.0), CNN, trained);
    return start;
  }

  private static void assertWeightedMean(float[][] actual, float[][] base, double expectedShift) {
    for (int t = 0; t < base.length; t++) {
      for (int i = 0; i < base[t].length; i += 97) {
        assertThat((double) actual[t][i]).isCloseTo(base[t][i] + expectedShift, within(1e-5));
      }
    }
  }

  private JsonObject status() throws Exception {
    return JsonParser.parseString(Files.readString(dir.resolve("status.json"))).getAsJsonObject();
  }

  @Test
  @DisplayName("a FedAvg job runs its rounds over the protocol: sample-weighted average, Finished, final evaluations, status file")
  void fullJob() throws Exception {
    try (Federation f = new Federation(config().build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      JoinResponse ja = a.connect(100);
      assertThat(ja.getJobId()).isEqualTo("jobT");
      assertThat(ja.getModel()).isEqualTo("cnn");
      assertThat(ja.getStrategy()).isEqualTo("fedavg");
      assertThat(ja.getRounds()).isEqualTo(2);
      assertThat(ja.getPartyIndex()).isZero();
      assertThat(ja.getPartyName()).isEqualTo("alice");
      assertThat(b.connect(200).getPartyIndex()).isEqualTo(1);
      assertThat(c.connect(700).getPartyIndex()).isEqualTo(2);

      // round 1 from the seeded initial weights; shifts 1, 2, 3 weighted 100:200:700 -> 2.6
      float[][] v0 = train(a, 100, 1f, 0.1);
      assertThat(v0).isDeepEqualTo(ModelSpecs.initialWeights("cnn", 11));
      train(b, 200, 2f, 0.2);
      train(c, 700, 3f, 0.3);
      await().atMost(Duration.ofSeconds(20)).until(() -> f.coordinator.roundsCompleted() == 1);
      float[][] v1 = dev.flotilla.server.Weights.values(f.coordinator.globalModel());
      assertWeightedMean(v1, v0, 2.6);

      // round 2: everyone shifts by -1 -> the average moves by -1 from version 1
      train(a, 100, -1f, 0.5);
      train(b, 200, -1f, 0.6);
      train(c, 700, -1f, 0.7);
      for (FakeParty p : List.of(a, b, c)) {
        RoundEvent fin = p.nextEvent();
        assertThat(fin.hasFinished()).isTrue();
        assertThat(fin.getFinished().getRoundsCompleted()).isEqualTo(2);
        assertThat(fin.getFinished().getModelVersion()).isEqualTo(2);
        p.reportEvaluation(2, 0.8, 1000);
      }
      f.done.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertWeightedMean(dev.flotilla.server.Weights.values(f.coordinator.globalModel()), v1, -1);

      JsonObject s = status();
      assertThat(s.get("job_id").getAsString()).isEqualTo("jobT");
      assertThat(s.get("rounds_completed").getAsInt()).isEqualTo(2);
      assertThat(s.get("rounds_total").getAsInt()).isEqualTo(2);
      assertThat(s.get("finished").getAsBoolean()).isTrue();
      assertThat(s.getAsJsonArray("parties").toString()).isEqualTo("[\"alice\",\"bob\",\"carol\"]");
      // accuracy of model v1 reported in round 2: (0.5*100 + 0.6*200 + 0.7*700) / 1000 = 0.66; v2 = final
      assertThat(s.getAsJsonArray("accuracy_per_round").get(0).getAsDouble()).isCloseTo(0.66, within(1e-9));
      assertThat(s.getAsJsonArray("accuracy_per_round").get(1).getAsDouble()).isCloseTo(0.8, within(1e-9));
      assertThat(s.get("initial_accuracy").getAsDouble()).isCloseTo(0.26, within(1e-9));
      assertThat(s.get("final_accuracy").getAsDouble()).isCloseTo(0.8, within(1e-9));
      assertThat(s.getAsJsonArray("late_or_dropped")).hasSize(2);
      assertThat(s.getAsJsonArray("late_or_dropped").get(0).getAsJsonObject().getAsJsonArray("parties")).isEmpty();
      assertThat(s.get("bytes_up").getAsLong()).isGreaterThan(6 * 44_426 * 4);
      assertThat(s.get("bytes_down").getAsLong()).isGreaterThan(6 * 44_426 * 4);
      assertThat(s.has("tls_provider")).isTrue();
    }
  }

  @Test
  @DisplayName("each bad update gets its own status code and description, and the round completes with the good ones")
  void rejections() throws Exception {
    try (Federation f = new Federation(config().rounds(1).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      FakeParty eve = f.party("eve");
      a.connect(100);
      b.connect(300);
      c.connect(100);
      TrainRequest ra = a.awaitTrain();
      b.awaitTrain();
      c.awaitTrain();
      float[][] v0 = a.fetch(CNN, 0).tensors();
      float[][] good = shifted(v0, 1f);
      Map<String, Double> m = Map.of("accuracy", 0.1);

      assertRefused(() -> eve.submit(1, 10, m, CNN, good), Status.Code.PERMISSION_DENIED,
          "party 'eve' is not a member of job jobT");
      assertRefused(() -> a.submit(2, 100, m, CNN, good), Status.Code.FAILED_PRECONDITION,
          "is for round 2 but the current round of job jobT is 1");
      assertThat(a.submit(ra.getRound(), 100, m, CNN, good).getValuesReceived()).isEqualTo(44_426);
      assertRefused(() -> a.submit(1, 100, m, CNN, good), Status.Code.ALREADY_EXISTS,
          "party 'alice' already submitted an update for round 1");

      // bob: wrong shape, wrong name, NaN, Inf, extra data, truncated, bad encoding, no header; then a good one
      List<UpdateChunk> valid = chunks(1, 100, good);
      List<UpdateChunk> reshaped = new ArrayList<>(valid);
      UpdateHeader h = valid.get(0).getHeader();
      reshaped.set(0, UpdateChunk.newBuilder().setHeader(h.toBuilder().setTensors(4,
          h.getTensors(4).toBuilder().clearShape().addShape(256).addShape(120))).build());
      assertRefused(() -> b.submitRaw(reshaped), Status.Code.INVALID_ARGUMENT,
          "tensor 'fc1.weight' has shape [256, 120], expected [120, 256]");
      List<UpdateChunk> renamed = new ArrayList<>(valid);
      renamed.set(0, UpdateChunk.newBuilder().setHeader(h.toBuilder().setTensors(0,
          h.getTensors(0).toBuilder().setName("conv0.weight"))).build());
      assertRefused(() -> b.submitRaw(renamed), Status.Code.INVALID_ARGUMENT,
          "tensor 0 is named 'conv0.weight', expected 'conv1.weight'");
      float[][] nan = shifted(v0, 1f);
      nan[4][17] = Float.NaN;
      assertRefused(() -> b.submitRaw(chunks(1, 100, nan)), Status.Code.INVALID_ARGUMENT,
          "tensor 'fc1.weight' element 17 is NaN");
      float[][] inf = shifted(v0, 1f);
      inf[9][2] = Float.POSITIVE_INFINITY;
      assertRefused(() -> b.submitRaw(chunks(1, 100, inf)), Status.Code.INVALID_ARGUMENT,
          "tensor 'fc3.bias' element 2 is Infinity");
      List<UpdateChunk> extra = new ArrayList<>(valid);
      extra.add(UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[8])).build());
      assertRefused(() -> b.submitRaw(extra), Status.Code.RESOURCE_EXHAUSTED,
          "stream carries more than the 44426 float32 values of the model");
      List<UpdateChunk> truncated = List.of(valid.get(0),
          UpdateChunk.newBuilder().setData(valid.get(1).getData().substring(0, 4000)).build());
      assertRefused(() -> b.submitRaw(truncated), Status.Code.INVALID_ARGUMENT, "ended after 1000 of 44426 float32 values");
      List<UpdateChunk> fixedPoint = new ArrayList<>(valid);
      fixedPoint.set(0, UpdateChunk.newBuilder().setHeader(h.toBuilder().setEncoding(Encoding.FIXED_POINT_MOD_2_32)).build());
      assertRefused(() -> b.submitRaw(fixedPoint), Status.Code.UNIMPLEMENTED, "encoding FIXED_POINT_MOD_2_32 is not supported");
      assertRefused(() -> b.submitRaw(valid.subList(1, 2)), Status.Code.INVALID_ARGUMENT,
          "the first chunk of an update stream must be its header");
      assertThat(f.coordinator.roundsCompleted()).as("rejections do not end the round").isZero();
      b.submit(1, 300, m, CNN, shifted(v0, 2f));

      // carol: a data chunk over the 1 MiB limit; her refusal is the last outcome the round waited for
      List<UpdateChunk> oversized = List.of(valid.get(0),
          UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[TensorChunks.MAX_CHUNK_BYTES + 4])).build());
      assertRefused(() -> c.submitRaw(oversized), Status.Code.RESOURCE_EXHAUSTED,
          "data chunk of 1048580 bytes exceeds the limit of 1048576 bytes");

      await().atMost(Duration.ofSeconds(10)).until(() -> f.coordinator.roundsCompleted() == 1);
      // (1 * 100 + 2 * 300) / 400 = 1.75: carol's and bob's refused updates left no trace
      assertWeightedMean(dev.flotilla.server.Weights.values(f.coordinator.globalModel()), v0, 1.75);
      RoundRecord r1 = f.coordinator.history().get(0);
      assertThat(r1.parties()).containsExactly("alice", "bob");
      assertThat(r1.lateOrDropped()).containsOnlyKeys("carol");
      assertThat(r1.lateOrDropped().get("carol")).startsWith("rejected: ").contains("exceeds the limit");
    }
  }

  private static List<UpdateChunk> chunks(int round, long samples, float[][] weights) {
    List<UpdateChunk> out = new ArrayList<>();
    TensorChunks.updateStream(UpdateHeader.newBuilder().setRound(round).setNumSamples(samples).build(), CNN, weights)
        .forEachRemaining(out::add);
    return out;
  }

  @Test
  @DisplayName("a party that drops mid-round is recorded as dropped and the round completes without waiting for it; a silent one is late")
  void droppedAndLate() throws Exception {
    try (Federation f = new Federation(config().roundTimeout(Duration.ofSeconds(3)).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      a.connect(100);
      b.connect(100);
      c.connect(100);
      c.awaitTrain();
      c.dropRounds();
      train(a, 100, 1f, 0.1);
      train(b, 100, 3f, 0.1);
      await().atMost(Duration.ofSeconds(2)).until(() -> f.coordinator.roundsCompleted() == 1);
      assertThat(f.coordinator.history().get(0).lateOrDropped()).containsExactly(Map.entry("carol", "dropped"));

      // round 2: only alice and bob were asked; bob stays silent until the deadline
      train(a, 100, 1f, 0.1);
      b.awaitTrain();
      assertThat(f.coordinator.roundsCompleted()).isEqualTo(1);
      // one update < min 2: the round is retried and bob is asked again
      TrainRequest retry = b.awaitTrain();
      assertThat(retry.getRound()).isEqualTo(2);
      assertThat(retry.getAttempt()).isEqualTo(2);
      assertThat(a.awaitTrain().getAttempt()).isEqualTo(2);
      float[][] v1 = dev.flotilla.server.Weights.values(f.coordinator.globalModel());
      a.submit(2, 100, Map.of(), CNN, shifted(v1, 1f));
      b.submit(2, 100, Map.of(), CNN, shifted(v1, 1f));
      await().atMost(Duration.ofSeconds(5)).until(() -> f.coordinator.roundsCompleted() == 2);
      RoundRecord r2 = f.coordinator.history().get(1);
      assertThat(r2.attempts()).isEqualTo(2);
      assertThat(r2.lateOrDropped()).containsEntry("bob", "late");
    }
  }

  @Test
  @DisplayName("a restarted server resumes from its checkpoint: same model, strategy state, party indices; parties rejoin and the job completes")
  void resume() throws Exception {
    ServerConfig cfg = config().strategy("fedadam").serverLr(0.05).rounds(3).expectedParties(2).build();
    float[][] v1;
    try (Federation first = new Federation(cfg)) {
      FakeParty a = first.party("alice");
      FakeParty b = first.party("bob");
      a.connect(100);
      b.connect(300);
      train(a, 100, 1f, 0.1);
      train(b, 300, 1f, 0.1);
      await().atMost(Duration.ofSeconds(10)).until(() -> first.coordinator.roundsCompleted() == 1);
      v1 = dev.flotilla.server.Weights.values(first.coordinator.globalModel());
      a.awaitTrain(); // round 2 started, then the server dies
    }
    try (Federation second = new Federation(cfg)) {
      assertThat(second.coordinator.roundsCompleted()).isEqualTo(1);
      assertThat(dev.flotilla.server.Weights.values(second.coordinator.globalModel())).isDeepEqualTo(v1);
      FakeParty b = second.party("bob");
      FakeParty a = second.party("alice");
      JoinResponse jb = b.connect(300);
      assertThat(jb.getPartyIndex()).as("indices survive the restart").isEqualTo(1);
      assertThat(jb.getCurrentRound()).isEqualTo(1);
      a.connect(100);
      TrainRequest r2 = a.awaitTrain();
      assertThat(r2.getRound()).isEqualTo(2);
      assertThat(r2.getModelVersion()).isEqualTo(1);
      a.submit(2, 100, Map.of(), CNN, shifted(v1, 1f));
      train(b, 300, 1f, 0.1);
      train(a, 100, 1f, 0.1);
      train(b, 300, 1f, 0.1);
      await().atMost(Duration.ofSeconds(10)).until(() -> second.coordinator.roundsCompleted() == 3);
      assertThat(second.coordinator.history()).extracting(RoundRecord::round).containsExactly(1, 2, 3);
      // the status file is written asynchronously, after round 3's checkpoint
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(status().get("rounds_completed").getAsInt()).isEqualTo(3));
      // the restored FedAdam moments continue exactly as an uninterrupted optimiser would
      dev.flotilla.server.aggregation.FedOpt reference = dev.flotilla.server.aggregation.FedOpt.adam(0.05);
      float[][] g = ModelSpecs.initialWeights("cnn", 11);
      for (int r = 0; r < 3; r++) {
        g = oneUpdateRound(reference, g, shifted(g, 1f));
      }
      float[][] actual = dev.flotilla.server.Weights.values(second.coordinator.globalModel());
      for (int t = 0; t < g.length; t++) {
        for (int i = 0; i < g[t].length; i++) {
          assertThat(actual[t][i]).isCloseTo(g[t][i], within(1e-6f));
        }
      }
    }
  }

  @Test
  @DisplayName("an update refused after several chunks leaves no trace in the sum: the round completes at its first attempt without it")
  void refusedMultiChunkUpdateLeavesNoTrace() throws Exception {
    try (Federation f = new Federation(config().rounds(1).build())) {
      FakeParty a = f.party("alice");
      FakeParty b = f.party("bob");
      FakeParty c = f.party("carol");
      a.connect(100);
      b.connect(100);
      c.connect(300);
      a.awaitTrain();
      b.awaitTrain();
      c.awaitTrain();
      float[][] v0 = a.fetch(CNN, 0).tensors();
      a.submit(1, 100, Map.of(), CNN, shifted(v0, 1f));
      // bob cuts his update into 4 chunks and the last one holds a NaN: the first three were accepted on arrival
      float[][] bad = shifted(v0, 50f);
      bad[9][9] = Float.NaN;
      List<UpdateChunk> split = new ArrayList<>();
      split.add(chunks(1, 100, bad).get(0));
      TensorChunks.dataChunks(bad, 48_000).forEachRemaining(d -> split.add(UpdateChunk.newBuilder().setData(d).build()));
      assertThat(split).hasSize(5);
      assertRefused(() -> b.submitRaw(split), Status.Code.INVALID_ARGUMENT, "tensor 'fc3.bias' element 9 is NaN");
      c.submit(1, 300, Map.of(), CNN, shifted(v0, 2f));

      await().atMost(Duration.ofSeconds(10)).until(() -> f.coordinator.roundsCompleted() == 1);
      // (1 * 100 + 2 * 300) / 400 = 1.75: nothing of bob's +50 reached the sum
      assertWeightedMean(dev.flotilla.server.Weights.values(f.coordinator.globalModel()), v0, 1.75);
      RoundRecord r1 = f.coordinator.history().get(0);
      assertThat(r1.attempts()).isEqualTo(1);
      assertThat(r1.parties()).containsExactly("alice", "carol");
      assertThat(r1.lateOrDropped().get("bob")).startsWith("rejected: ");
    }
  }

  @Test
  @DisplayName("JoinResponse carries the job's settings: FedProx's mu, local epochs, message limit; FetchModel refuses a stale version")
  void joinCarriesSettings() throws Exception {
    try (Federation f = new Federation(config().strategy("fedprox").fedproxMu(0.25).localEpochs(2).build())) {
      FakeParty a = f.party("alice");
      JoinResponse r = a.join(5);
      assertThat(r.getStrategy()).isEqualTo("fedprox");
      assertThat(r.getFedproxMu()).isEqualTo(0.25);
      assertThat(r.getLocalEpochs()).isEqualTo(2);
      assertThat(r.getMaxMessageBytes()).isEqualTo(ServerConfig.DEFAULT_MAX_MESSAGE_BYTES);
      assertThat(r.getCurrentRound()).isZero();
      assertRefused(() -> a.fetch(CNN, 3), Status.Code.FAILED_PRECONDITION,
          "model version 3 is not available: the global model of job jobT is at version 0");
    }
  }

  @Test
  @DisplayName("Join refuses an identity off the allow-list, a second live connection and a full job; a party whose stream died rejoins")
  void joinRules() throws Exception {
    try (Federation f = new Federation(config().allowedParties(List.of("alice", "bob")).expectedParties(2).build())) {
      FakeParty a = f.party("alice");
      assertRefused(() -> f.party("mallory").join(10), Status.Code.PERMISSION_DENIED,
          "party 'mallory' is not allowed in job jobT");
      a.connect(10);
      await().atMost(Duration.ofSeconds(5)).until(() ->
          f.coordinator.status().partiesConnected().contains("alice"));
      assertRefused(() -> f.party("alice").join(10), Status.Code.ALREADY_EXISTS,
          "party 'alice' is already connected to job jobT");
      a.dropRounds();
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(f.party("alice").join(10).getPartyIndex()).isZero());
    }
    try (Federation f = new Federation(config().stateDir(dir.resolve("other")).expectedParties(2).build())) {
      f.party("alice").join(1);
      f.party("bob").join(1);
      assertRefused(() -> f.party("carol").join(1), Status.Code.RESOURCE_EXHAUSTED, "job jobT is full");
    }
  }

  /** The next model of {@code strategy} from {@code global} when one party sends {@code update}. */
  private float[][] oneUpdateRound(dev.flotilla.server.aggregation.Strategy strategy, float[][] global,
      float[][] update) throws Exception {
    var base = new dev.flotilla.server.model.HeapModel(0, CNN, global);
    try (var aggregation = strategy.begin(base, java.nio.file.Files.createTempDirectory(dir, "ref"))) {
      var sink = aggregation.open("reference", 1);
      for (int t = 0; t < update.length; t++) {
        sink.accept(t, 0, java.nio.FloatBuffer.wrap(update[t]), update[t].length);
      }
      sink.commit();
      var next = new dev.flotilla.server.model.HeapModel.Builder(CNN);
      aggregation.finish(next);
      return next.build(1).values();
    }
  }
}
