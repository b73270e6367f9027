package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.protocol.model.ControlVariates;
import dev.flotilla.protocol.model.Safetensors;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * FedNova and SCAFFOLD in the simulator on a label-skewed split (Dirichlet 0.3 over the classes,
 * which also makes the parties' sizes and so their local steps differ): each completes every round,
 * learns, and is not far below FedAvg on the same split, initial model and sample order.
 */
@RequiresRealServers({RealServer.FASHION_MNIST})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimulatedStrategiesIT {

  private static final int ROUNDS = 3;
  /** How far below FedAvg's best accuracy a strategy may end; a broken strategy lands near 0.1 (chance). */
  private static final double MARGIN = 0.08;

  private final Map<String, JsonObject> reports = new HashMap<>();
  private final Map<String, Path> states = new HashMap<>();

  @BeforeAll
  void simulate(@TempDir Path dir) throws Exception {
    for (String strategy : new String[] {"fedavg", "fednova", "scaffold"}) {
      Path report = dir.resolve(strategy + ".json");
      Path state = dir.resolve(strategy);
      StringWriter out = new StringWriter();
      CommandLine command = SimulateCommand.commandLine();
      command.setOut(new PrintWriter(out, true));
      command.setErr(new PrintWriter(out, true));
      int code = command.execute("--data", RealServer.fashionMnistDirectory().toString(), "--parties", "5",
          "--rounds", Integer.toString(ROUNDS), "--model", "mlp", "--partition", "dirichlet:0.3", "--strategy", strategy,
          "--lr", "0.01", "--momentum", "0.9", "--seed", "11", "--state-dir", state.toString(),
          "--report", report.toString());
      assertThat(code).as(strategy + ":\n" + out).isZero();
      reports.put(strategy, JsonParser.parseString(Files.readString(report)).getAsJsonObject());
      states.put(strategy, state);
    }
  }

  private double best(String strategy) {
    JsonArray perRound = reports.get(strategy).getAsJsonArray("accuracy_per_round");
    assertThat(perRound).as(strategy).hasSize(ROUNDS);
    double best = 0;
    for (var a : perRound) {
      best = Math.max(best, a.getAsDouble());
    }
    return best;
  }

  @Test
  @DisplayName("FedNova and SCAFFOLD complete every round, learn (best > 0.5), and are within 8 points of FedAvg")
  void convergeNearFedAvg() {
    double fedAvg = best("fedavg");
    assertThat(fedAvg).isGreaterThan(0.5);
    for (String strategy : new String[] {"fednova", "scaffold"}) {
      JsonObject report = reports.get(strategy);
      assertThat(report.get("rounds_completed").getAsInt()).isEqualTo(ROUNDS);
      assertThat(report.get("strategy").getAsString()).isEqualTo(strategy);
      assertThat(best(strategy)).as("%s against FedAvg's %s", report.get("accuracy_per_round"),
          reports.get("fedavg").get("accuracy_per_round")).isGreaterThan(0.5).isGreaterThan(fedAvg - MARGIN);
    }
  }

  @Test
  @DisplayName("SCAFFOLD's global control variate is learnt: the round models carry non-zero scaffold.c tensors")
  void scaffoldLearnsControlVariate() throws Exception {
    var model = Safetensors.read(states.get("scaffold").resolve("models/round-000" + ROUNDS + ".safetensors"));
    int n = ControlVariates.modelTensors(model.layout());
    assertThat(n).isEqualTo(model.layout().size() / 2);
    double norm = 0;
    for (int t = n; t < model.layout().size(); t++) {
      for (float v : model.values()[t]) {
        norm += (double) v * v;
      }
    }
    assertThat(norm).isGreaterThan(0);
  }
}
