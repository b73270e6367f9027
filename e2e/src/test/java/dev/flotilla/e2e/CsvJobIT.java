package dev.flotilla.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's CSV acceptance: the Wisconsin breast-cancer table that Debian's python3-sklearn ships,
 * turned into an ordinary headed CSV with string labels, split into a training file and a held-out
 * test file. Three parties (each its IID third of the training file, standardised with its own
 * rows' statistics) train {@code mlp:30-16-2}; the same model trained centrally on the union is a
 * 1-party federation of the same jars with the same settings, so reader, standardisation, trainer
 * and evaluation are one code path and the only difference is the federation (and DJL never runs
 * in this JVM).
 */
@RequiresRealServers(RealServer.SKLEARN_DATA)
@DisplayName("CSV job")
class CsvJobIT {
  static final Path SKLEARN_CSV = RealServer.sklearnDataDirectory().resolve("breast_cancer.csv");
  static final String MODEL = "mlp:30-16-2";
  static final int ROUNDS = 20;
  static final double TEST_SHARE = 0.3;

  @Test
  @DisplayName("3 parties on a split sklearn CSV reach, on a held-out file, within 2 points of the same model trained centrally on the union")
  void federatedMatchesCentral(@TempDir Path dir) throws IOException {
    Path train = dir.resolve("train.csv");
    Path test = dir.resolve("test.csv");
    int[] rows = convert(SKLEARN_CSV, train, test);

    JobStatus federated = run(settings(3, train, test), dir.resolve("federated"));
    JobStatus central = run(settings(1, train, test), dir.resolve("central"));

    System.out.printf("%d training rows, %d test rows; federated %s, central %s%n", rows[0], rows[1],
        federated.accuracyPerRound(), central.accuracyPerRound());
    assertThat(federated.parties()).hasSize(3);
    assertThat(federated.roundsCompleted()).isEqualTo(ROUNDS);
    assertThat(central.roundsCompleted()).isEqualTo(ROUNDS);
    double centralAccuracy = central.finalAccuracy();
    assertThat(centralAccuracy).as("the central model learnt (the majority class is 0.63)").isGreaterThan(0.9);
    assertThat(federated.finalAccuracy())
        .as("federated %s against central %s", federated.accuracyPerRound(), central.accuracyPerRound())
        .isCloseTo(centralAccuracy, offset(0.02));
  }

  static LocalFederation.Settings settings(int parties, Path train, Path test) {
    return Federations.settings()
        .parties(parties)
        .rounds(ROUNDS)
        .model(MODEL)
        .partition("iid")
        .dataDirectory(train)
        .batchSize(16)
        .learningRate(0.02)
        .partyArg("--test-data", test.toString())
        .partyArg("--label-column", "diagnosis")
        .partyArg("--classes", "malignant,benign");
  }

  static JobStatus run(LocalFederation.Settings settings, Path dir) {
    try (LocalFederation federation = Federations.start(settings, dir)) {
      JobStatus status = Federations.awaitFinished(federation, Duration.ofMinutes(8));
      assertThat(federation.parties()).allSatisfy(party -> assertThat(party.log())
          .contains("label column 'diagnosis' (2 classes [malignant, benign]); 30 numeric and 0 categorical columns")
          .contains("standardised 30 numeric of 30 features (this party's training rows)"));
      return status;
    }
  }

  /**
   * sklearn's file starts with "569,30,malignant,benign" (rows, features, class names) and has no
   * column names; this writes a normal header (f1..f30, diagnosis), the class names as labels, and a
   * seeded 30% of the rows to the test file. Returns the training and test row counts.
   */
  static int[] convert(Path source, Path train, Path test) throws IOException {
    List<String> lines = Files.readAllLines(source);
    String[] meta = lines.get(0).split(",");
    int features = Integer.parseInt(meta[1]);
    List<String> classNames = List.of(meta).subList(2, meta.length);
    StringBuilder header = new StringBuilder();
    for (int i = 1; i <= features; i++) {
      header.append('f').append(i).append(',');
    }
    header.append("diagnosis");
    List<String> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        continue;
      }
      int comma = line.lastIndexOf(',');
      rows.add(line.substring(0, comma) + "," + classNames.get(Integer.parseInt(line.substring(comma + 1).trim())));
    }
    assertThat(rows).hasSize(Integer.parseInt(meta[0]));
    Collections.shuffle(rows, new Random(7));
    int held = (int) Math.round(rows.size() * TEST_SHARE);
    List<String> testRows = new ArrayList<>(List.of(header.toString()));
    testRows.addAll(rows.subList(0, held));
    List<String> trainRows = new ArrayList<>(List.of(header.toString()));
    trainRows.addAll(rows.subList(held, rows.size()));
    Files.write(test, testRows);
    Files.write(train, trainRows);
    return new int[] {rows.size() - held, held};
  }
}
