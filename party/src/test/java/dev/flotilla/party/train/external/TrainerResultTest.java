package dev.flotilla.party.train.external;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.party.train.external.TrainerResult.Action;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainerResultTest {
  static final Path FILE = Path.of("/work/train-1-1/result.json");

  @Test
  @DisplayName("a train result gives its sample count and every metric")
  void trainResult() throws Exception {
    TrainerResult result = TrainerResult.parse(FILE,
        "{\"num_samples\": 20000, \"metrics\": {\"loss\": 0.41, \"accuracy\": 0.85, \"train_loss\": 0.38, \"f1\": 0.8}}",
        Action.TRAIN);
    assertThat(result.numSamples()).isEqualTo(20000);
    assertThat(result.metrics()).isEqualTo(Map.of("loss", 0.41, "accuracy", 0.85, "train_loss", 0.38, "f1", 0.8));
    assertThat(TrainerResult.parse(FILE, "{\"num_samples\": 5, \"metrics\": {\"loss\": 2.5, \"r2\": -0.3}}",
        Action.EVALUATE).metrics()).containsEntry("r2", -0.3);
    assertThat(TrainerResult.parse(FILE, "{\"num_samples\": 7.0}", Action.DESCRIBE).numSamples()).isEqualTo(7);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "not JSON              | {num_samples: 1}                                      | is not valid JSON",
      "two values            | {\"num_samples\": 1} {}                               | is not valid JSON (at line 1 column 21)",
      "array                 | [1]                                                   | must hold a JSON object, got an array",
      "fraction              | {\"num_samples\": 1.5}                                | 'num_samples' must be a whole number",
      "zero                  | {\"num_samples\": 0}                                  | 'num_samples' must be a whole number from 1",
      "too many              | {\"num_samples\": 1e30}                               | 'num_samples' must be a whole number",
      "string                | {\"num_samples\": \"12\"}                             | 'num_samples' must be a number, got a string",
      "missing               | {}                                                    | 'num_samples' is missing",
      "unknown field         | {\"num_samples\": 1, \"num_sample\": 2}                | unexpected field 'num_sample'",
      "NaN literal           | {\"num_samples\": NaN}                                | is not valid JSON",
      "repeated field        | {\"num_samples\": 1, \"num_samples\": 9}              | 'num_samples' is repeated"})
  @DisplayName("a malformed describe result is refused naming the file and the field")
  void malformedDescribe(String name, String text, String problem) {
    assertThatThrownBy(() -> TrainerResult.parse(FILE, text, Action.DESCRIBE))
        .hasMessageStartingWith(FILE.toString())
        .hasMessageContaining(problem);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "no metrics       | {\"num_samples\": 1}                                                                 | 'metrics' is missing",
      "no loss          | {\"num_samples\": 1, \"metrics\": {\"accuracy\": 0.5, \"train_loss\": 1}}           | 'metrics.loss' is missing",
      "no train_loss    | {\"num_samples\": 1, \"metrics\": {\"loss\": 1, \"accuracy\": 0.5}}                 | 'metrics.train_loss' is missing",
      "no quality       | {\"num_samples\": 1, \"metrics\": {\"loss\": 1, \"train_loss\": 1}}                 | needs 'accuracy' (classification) or 'r2'",
      "negative loss    | {\"num_samples\": 1, \"metrics\": {\"loss\": -1, \"accuracy\": 0.5, \"train_loss\": 1}} | 'metrics.loss' is -1.0, not in [0.0, inf]",
      "huge             | {\"num_samples\": 1, \"metrics\": {\"loss\": 1e999, \"accuracy\": 0.5, \"train_loss\": 1}} | beyond a double",
      "bad name         | {\"num_samples\": 1, \"metrics\": {\"Loss!\": 1}}                                    | metric name 'Loss!'",
      "metric string    | {\"num_samples\": 1, \"metrics\": {\"loss\": \"low\"}}                              | 'metrics.loss' must be a number, got a string",
      "repeated metric  | {\"num_samples\": 1, \"metrics\": {\"loss\": 1, \"loss\": 2, \"accuracy\": 0.5, \"train_loss\": 1}} | 'metrics.loss' is repeated",
      "train_seconds    | {\"num_samples\": 1, \"metrics\": {\"loss\": 1, \"accuracy\": 0.5, \"train_loss\": 1, \"train_seconds\": 2}} | 'metrics.train_seconds' is measured by the party",
      "negative eval    | {\"num_samples\": 1, \"metrics\": {\"loss\": 1, \"accuracy\": 0.5, \"train_loss\": 1, \"eval_seconds\": -2}} | 'metrics.eval_seconds' is -2.0, not in [0.0, inf]"})
  @DisplayName("malformed train metrics are refused naming the metric")
  void malformedMetrics(String name, String text, String problem) {
    assertThatThrownBy(() -> TrainerResult.parse(FILE, text, Action.TRAIN))
        .hasMessageStartingWith(FILE.toString())
        .hasMessageContaining(problem);
  }

  @Test
  @DisplayName("a result of more than 30 metrics is refused: the party adds its 2 times and the server accepts 32")
  void metricCount() throws Exception {
    StringBuilder metrics = new StringBuilder("\"loss\": 1, \"accuracy\": 0.5, \"train_loss\": 1");
    for (int i = 3; i < 30; i++) {
      metrics.append(", \"m").append(i).append("\": 1");
    }
    String thirty = "{\"num_samples\": 1, \"metrics\": {" + metrics + "}}";
    assertThat(TrainerResult.parse(FILE, thirty, Action.TRAIN).metrics()).hasSize(30);

    String thirtyOne = "{\"num_samples\": 1, \"metrics\": {" + metrics + ", \"m30\": 1}}";
    assertThatThrownBy(() -> TrainerResult.parse(FILE, thirtyOne, Action.TRAIN))
        .hasMessage(FILE + ": 'metrics' has 31 entries, at most 30 are accepted");
  }
}
