package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.demo.DemoReport;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code flotilla simulate} end to end on the real Fashion-MNIST: virtual parties, the real round loop, central evaluation. */
@RequiresRealServers({RealServer.FASHION_MNIST})
class SimulationIT {

  /** The demo's report keys as demo/README.md lists them. */
  private static final List<String> DEMO_KEYS = List.of("job_id", "model", "strategy", "partition", "rounds_completed",
      "rounds_total", "parties", "party_names", "final_accuracy", "accuracy_per_round", "round_seconds", "round_times",
      "training_seconds", "evaluation_seconds", "protocol_seconds", "late_or_dropped", "tls_provider", "bytes_up",
      "bytes_down", "wall_seconds", "epsilon_spent", "end_reason");

  @Test
  @DisplayName("4 virtual parties, half of them sampled a round, learn Fashion-MNIST through the aggregator's round loop; "
      + "the report has the demo's keys, the central accuracies, the split, and half of the parties' federated "
      + "evaluation on their held-out splits")
  void simulates(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report.json");
    Path state = dir.resolve("state");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = SimulateCommand.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    int code = command.execute("--data", RealServer.fashionMnistDirectory().toString(), "--parties", "4",
        "--rounds", "3", "--model", "mlp", "--partition", "iid", "--fraction", "0.5", "--lr", "0.05",
        "--weight-decay", "0.0001", "--seed", "7", "--state-dir", state.toString(), "--report", report.toString(), "--evaluate-fraction", "0.5");
    assertThat(code).as(out + "\n" + err).isZero();
    assertThat(out.toString()).contains("round 1/3  accuracy ", "round 3/3  accuracy ", "(model after round 3, central, "
        + "10000 test samples)", "federated evaluation: 2 of 4 parties a round", "(2 parties, 2000 held-out samples)");

    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    assertThat(json.get("rounds_completed").getAsInt()).isEqualTo(3);
    // IID: 15 000 samples a party, of which it holds out 1000 for federated evaluation; two of the four train a round
    assertThat(json.get("samples_trained").getAsLong()).isEqualTo(3 * 2 * 14_000);
    assertThat(json.getAsJsonObject("late_or_dropped").keySet()).isEmpty();
    double accuracy = json.get("final_accuracy").getAsDouble();
    assertThat(accuracy).as("central accuracy on the 10 000 held-out images").isGreaterThan(0.75).isLessThan(1.0);
    assertThat(json.getAsJsonArray("accuracy_per_round")).hasSize(3);
    assertThat(json.getAsJsonArray("accuracy_per_round").get(2).getAsDouble()).isEqualTo(accuracy);
    assertThat(json.getAsJsonArray("accuracy_per_round").get(0).getAsDouble()).isGreaterThan(0.5);
    assertThat(json.getAsJsonObject("training").get("weight_decay").getAsDouble()).isEqualTo(1e-4, org.assertj.core.data.Offset.offset(1e-9));

    federatedEvaluation(json, out.toString());

    // the split: four disjoint IID parts of the 60 000 training images
    JsonObject split = json.getAsJsonObject("partition_split");
    assertThat(split.get("scheme").getAsString()).isEqualTo("iid");
    Set<Integer> indices = new HashSet<>();
    for (JsonElement party : split.getAsJsonArray("parties")) {
      assertThat(party.getAsJsonObject().get("samples").getAsInt()).isEqualTo(15_000);
      party.getAsJsonObject().getAsJsonArray("indices").forEach(i -> indices.add(i.getAsInt()));
      assertThat(party.getAsJsonObject().getAsJsonArray("held_out_indices")).hasSize(1000);
    }
    assertThat(indices).hasSize(60_000);

    // the same keys as the demo's report of the same status, plus the simulator's own
    var status = StatusJson.readFile(state.resolve("status.json"));
    Set<String> demoKeys = new DemoReport("mlp", "fedavg", "iid", 4, status, List.of(), 0).toJson().keySet();
    assertThat(demoKeys).containsExactlyInAnyOrderElementsOf(DEMO_KEYS);
    Set<String> expected = new HashSet<>(DEMO_KEYS);
    expected.addAll(SimulateCommand.EXTRA_KEYS);
    expected.addAll(SimulateCommand.FEDERATED_KEYS);
    assertThat(json.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(Files.isRegularFile(dir.resolve("report.html"))).isTrue();
    // the aggregator's own checkpoints and every round's model are in its state directory
    assertThat(state.resolve("models/round-0003.safetensors")).isRegularFile();
  }

  /**
   * Each round's federated accuracy and loss are the held-out-weighted mean of the two sampled parties' own
   * figures, printed in the round's line, and move as the model learns.
   */
  private static void federatedEvaluation(JsonObject json, String out) {
    var accuracies = json.getAsJsonArray("federated_accuracy_per_round");
    var losses = json.getAsJsonArray("federated_loss_per_round");
    var rounds = json.getAsJsonArray("federated_evaluation");
    assertThat(accuracies).hasSize(3);
    assertThat(losses).hasSize(3);
    assertThat(rounds).hasSize(3);
    for (int r = 0; r < 3; r++) {
      JsonObject round = rounds.get(r).getAsJsonObject();
      assertThat(round.get("round").getAsInt()).isEqualTo(r + 1);
      var parties = round.getAsJsonArray("parties");
      assertThat(parties).hasSize(2);
      double samples = 0;
      double accuracy = 0;
      double loss = 0;
      Set<String> names = new HashSet<>();
      for (JsonElement element : parties) {
        JsonObject party = element.getAsJsonObject();
        names.add(party.get("party").getAsString());
        assertThat(party.get("party").getAsString()).matches("party-[1-4]");
        assertThat(party.get("samples").getAsInt()).isEqualTo(1000);
        assertThat(party.get("accuracy").getAsDouble()).isBetween(0.0, 1.0);
        samples += party.get("samples").getAsInt();
        accuracy += party.get("accuracy").getAsDouble() * party.get("samples").getAsInt();
        loss += party.get("loss").getAsDouble() * party.get("samples").getAsInt();
      }
      assertThat(names).hasSize(2);
      double mean = accuracies.get(r).getAsDouble();
      assertThat(mean).isBetween(0.0, 1.0).isCloseTo(accuracy / samples, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(losses.get(r).getAsDouble()).isPositive()
          .isCloseTo(loss / samples, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(out).contains("round " + (r + 1) + "/3  accuracy ", "federated accuracy " + DemoReport.percent(mean));
    }
    assertThat(accuracies.get(0).getAsDouble()).as("the federated accuracy moves as the model learns")
        .isNotEqualTo(accuracies.get(2).getAsDouble());
    assertThat(accuracies.get(2).getAsDouble()).isGreaterThan(0.5);
  }

  @Test
  @DisplayName("--privacy-budget between the epsilon of 2 and 3 rounds: the aggregator's DP-FedAvg runs 2 of 10 rounds, "
      + "the simulation ends early (exit 0) and its output and report carry the reason and the epsilon spent")
  void privacyBudgetEndsEarly(@TempDir Path dir) throws Exception {
    PrivacyBudget reference = new PrivacyBudget(50, 1e-4, 1.0, 1.0, 0.5);
    double budget = (reference.epsilonAfter(2) + reference.epsilonAfter(3)) / 2;
    Path report = dir.resolve("report.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = SimulateCommand.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    int code = command.execute("--data", RealServer.fashionMnistDirectory().toString(), "--parties", "4",
        "--rounds", "10", "--model", "mlp", "--partition", "iid", "--seed", "7", "--privacy-budget",
        Double.toString(budget), "--dp-delta", "1e-4", "--dp-clip-norm", "1", "--dp-noise-multiplier", "1",
        "--dp-sampling-rate", "0.5", "--report", report.toString());
    assertThat(code).as(out + "\n" + err).isZero();
    assertThat(out.toString()).contains("privacy: DP-FedAvg: budget epsilon " + budget, "round 2/10  accuracy ",
        "Simulation finished: 2 rounds", "ended early      privacy budget exhausted: round 3 would take epsilon to ")
        .doesNotContain("round 3/10");

    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    assertThat(json.get("rounds_completed").getAsInt()).isEqualTo(2);
    assertThat(json.get("rounds_total").getAsInt()).isEqualTo(10);
    assertThat(json.get("strategy").getAsString()).as("what ran: FedAvg under central DP").isEqualTo("dp-fedavg");
    assertThat(json.getAsJsonArray("accuracy_per_round")).hasSize(2);
    assertThat(json.get("epsilon_spent").getAsDouble()).isEqualTo(reference.epsilonAfter(2)).isLessThan(budget);
    assertThat(json.get("end_reason").getAsString()).startsWith("privacy budget exhausted: round 3 would take epsilon "
        + "to ").contains("beyond --privacy-budget " + budget);
  }
}
