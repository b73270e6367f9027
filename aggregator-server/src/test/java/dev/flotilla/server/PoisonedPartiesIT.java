package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.RoundEvent;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13's acceptance test for robust aggregation, on the server jar over mutual TLS: a job of 10
 * parties of which 2 send poisoned updates. The model is logistic regression ({@code mlp:30-2}) on
 * the Wisconsin breast-cancer table that Debian's python3-sklearn ships: every party takes real
 * gradient steps on its own 40 rows (standardised with the training rows' statistics) from the
 * global model it fetched; the 2 attackers train the same way and then poison what they send,
 * either scaling their step by -10 (g - 10 (w - g)) or flipping the sign of their model and
 * scaling it (-10 w). Accuracy is measured on 169 held-out rows: FedAvg is ruined; median,
 * trimmed mean, Krum, multi-Krum and norm-bounded FedAvg (clip at L2 1.0) are not. No spill file or
 * undo journal is left behind.
 */
@RequiresRealServers(RealServer.SKLEARN_DATA)
class PoisonedPartiesIT {

  private static final String MODEL = "mlp:30-2";
  private static final List<TensorSpec> SPECS = ModelSpecs.forName(MODEL);
  private static final int PARTIES = 10;
  private static final int POISONED = 2;
  private static final int ROWS_PER_PARTY = 40;
  private static final int ROUNDS = 3;
  private static final int LOCAL_EPOCHS = 20;
  private static final double LOCAL_LR = 0.5;

  private static float[][] trainX;
  private static int[] trainY;
  private static float[][] testX;
  private static int[] testY;

  @TempDir
  Path dir;

  @RegisterExtension
  final OpenChannels channels = new OpenChannels();

  @BeforeAll
  static void loadTable() throws IOException {
    List<String> lines = Files.readAllLines(RealServer.sklearnDataDirectory().resolve("breast_cancer.csv"));
    List<String> rows = new ArrayList<>(lines.subList(1, lines.size())); // the first line is "569,30,names..."
    Collections.shuffle(rows, new Random(13));
    int train = PARTIES * ROWS_PER_PARTY;
    float[][] x = new float[rows.size()][30];
    int[] y = new int[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      String[] cells = rows.get(r).split(",");
      for (int j = 0; j < 30; j++) {
        x[r][j] = Float.parseFloat(cells[j]);
      }
      y[r] = Integer.parseInt(cells[30].trim());
    }
    for (int j = 0; j < 30; j++) {
      double mean = 0;
      double sq = 0;
      for (int r = 0; r < train; r++) {
        mean += x[r][j];
      }
      mean /= train;
      for (int r = 0; r < train; r++) {
        sq += (x[r][j] - mean) * (x[r][j] - mean);
      }
      double sd = Math.sqrt(sq / train);
      for (float[] row : x) {
        row[j] = (float) ((row[j] - mean) / sd);
      }
    }
    trainX = java.util.Arrays.copyOfRange(x, 0, train);
    trainY = java.util.Arrays.copyOfRange(y, 0, train);
    testX = java.util.Arrays.copyOfRange(x, train, x.length);
    testY = java.util.Arrays.copyOfRange(y, train, y.length);
  }

  /** What an attacker sends, from the global model g and its honestly trained model w. */
  enum Attack {
    SCALED_STEP("step scaled by -10", (g, w) -> g - 10 * (w - g)),
    SIGN_FLIPPED("model sign-flipped and scaled by 10", (g, w) -> -10 * w);

    final String description;
    final BinaryOperator<Float> poison;

    Attack(String description, BinaryOperator<Float> poison) {
      this.description = description;
      this.poison = poison;
    }
  }

  static Stream<Arguments> jobs() {
    List<Arguments> jobs = new ArrayList<>();
    for (Attack attack : Attack.values()) {
      jobs.add(Arguments.of("fedavg", List.of(), attack, false));
      jobs.add(Arguments.of("median", List.of(), attack, true));
      jobs.add(Arguments.of("trimmed-mean", List.of("--trim-fraction", "0.2"), attack, true));
      jobs.add(Arguments.of("krum", List.of("--byzantine-parties", "2"), attack, true));
      jobs.add(Arguments.of("multi-krum", List.of("--byzantine-parties", "2"), attack, true));
      jobs.add(Arguments.of("fedavg", List.of("--max-update-norm", "1.0"), attack, true));
    }
    return jobs.stream();
  }

  @ParameterizedTest(name = "{0} {1}, attack: {2}")
  @MethodSource("jobs")
  @DisplayName("2 of 10 parties poison their updates: FedAvg's model is ruined on held-out rows (accuracy < 0.6); "
      + "median, trimmed mean (0.2), Krum and multi-Krum (f = 2) and norm-bounded FedAvg stay accurate (>= 0.9)")
  void poisonedJob(String strategy, List<String> options, Attack attack, boolean robust) throws Exception {
    TestPki pki = new TestPki(dir, "poison-job");
    int port = FreePorts.next();
    List<String> args = new ArrayList<>(List.of("--job-id", "poison-job", "--model", MODEL, "--seed", "3",
        "--rounds", Integer.toString(ROUNDS), "--min-parties", Integer.toString(PARTIES), "--expected-parties",
        Integer.toString(PARTIES), "--round-timeout", "60s", "--final-eval-wait", "1s", "--join-grace", "30s",
        "--strategy", strategy));
    args.addAll(options);
    try (ServerProcess server = ServerProcess.onLoopback(dir, pki, port, args.toArray(String[]::new))) {
      server.awaitServing(channels.open(pki, port, "probe"));
      List<FakeParty> parties = new ArrayList<>();
      for (int p = 0; p < PARTIES; p++) {
        FakeParty party = channels.party(pki, port, String.format("party-%02d", p));
        party.connect(ROWS_PER_PARTY);
        parties.add(party);
      }
      for (int round = 1; round <= ROUNDS; round++) {
        TrainRequest train = null;
        for (FakeParty party : parties) {
          train = party.awaitTrain();
          assertThat(train.getRound()).isEqualTo(round);
        }
        float[][] global = parties.get(0).fetch(SPECS, train.getModelVersion()).tensors();
        for (int p = 0; p < PARTIES; p++) {
          float[][] trained = trainLocally(global, p);
          if (p >= PARTIES - POISONED) {
            trained = poison(global, trained, attack);
          }
          parties.get(p).submit(round, ROWS_PER_PARTY, Map.of("accuracy", accuracy(trained, trainX, trainY)), SPECS,
              trained);
        }
      }
      long finalVersion = -1;
      for (FakeParty party : parties) {
        RoundEvent e = party.nextEvent();
        assertThat(e.hasFinished()).as(e.toString()).isTrue();
        finalVersion = e.getFinished().getModelVersion();
      }
      assertThat(finalVersion).isEqualTo(ROUNDS);
      try (Stream<Path> left = Files.list(dir.resolve("state").resolve("spool"))) {
        assertThat(left).as("spill files and undo journals left behind").isEmpty();
      }
      double accuracy = accuracy(parties.get(0).fetch(SPECS, finalVersion).tensors(), testX, testY);
      System.out.printf("PoisonedPartiesIT: %s %s, %s: held-out accuracy %.3f%n", strategy, options,
          attack.description, accuracy);
      if (robust) {
        assertThat(accuracy).as(strategy + " under " + attack.description).isGreaterThanOrEqualTo(0.9);
      } else {
        assertThat(accuracy).as(strategy + " under " + attack.description).isLessThan(0.6);
      }
    }
  }

  /** Full-batch gradient descent on softmax cross-entropy over party {@code p}'s rows, from {@code global}. */
  private static float[][] trainLocally(float[][] global, int p) {
    float[] w = global[0].clone(); // fc1.weight [2, 30], row-major
    float[] b = global[1].clone(); // fc1.bias [2]
    int from = p * ROWS_PER_PARTY;
    for (int epoch = 0; epoch < LOCAL_EPOCHS; epoch++) {
      double[] gw = new double[w.length];
      double[] gb = new double[b.length];
      for (int r = from; r < from + ROWS_PER_PARTY; r++) {
        double[] prob = softmax(w, b, trainX[r]);
        for (int c = 0; c < 2; c++) {
          double err = prob[c] - (trainY[r] == c ? 1 : 0);
          for (int j = 0; j < 30; j++) {
            gw[c * 30 + j] += err * trainX[r][j];
          }
          gb[c] += err;
        }
      }
      for (int i = 0; i < w.length; i++) {
        w[i] -= (float) (LOCAL_LR * gw[i] / ROWS_PER_PARTY);
      }
      for (int c = 0; c < b.length; c++) {
        b[c] -= (float) (LOCAL_LR * gb[c] / ROWS_PER_PARTY);
      }
    }
    return new float[][] {w, b};
  }

  private static float[][] poison(float[][] global, float[][] trained, Attack attack) {
    float[][] out = new float[trained.length][];
    for (int t = 0; t < trained.length; t++) {
      out[t] = new float[trained[t].length];
      for (int i = 0; i < out[t].length; i++) {
        out[t][i] = attack.poison.apply(global[t][i], trained[t][i]);
      }
    }
    return out;
  }

  private static double[] softmax(float[] w, float[] b, float[] x) {
    double[] z = new double[2];
    for (int c = 0; c < 2; c++) {
      double s = b[c];
      for (int j = 0; j < 30; j++) {
        s += (double) w[c * 30 + j] * x[j];
      }
      z[c] = s;
    }
    double max = Math.max(z[0], z[1]);
    double e0 = Math.exp(z[0] - max);
    double e1 = Math.exp(z[1] - max);
    return new double[] {e0 / (e0 + e1), e1 / (e0 + e1)};
  }

  private static double accuracy(float[][] model, float[][] x, int[] y) {
    int right = 0;
    for (int r = 0; r < x.length; r++) {
      double[] prob = softmax(model[0], model[1], x[r]);
      if ((prob[1] > prob[0] ? 1 : 0) == y[r]) {
        right++;
      }
    }
    return (double) right / x.length;
  }
}
