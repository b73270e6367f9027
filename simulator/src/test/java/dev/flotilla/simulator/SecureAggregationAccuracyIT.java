package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 17's accuracy acceptance: the same job (Fashion-MNIST, MLP, 4 virtual parties on a
 * Dirichlet split, same seeds) with plain FedAvg and with --secure-aggregation, through the
 * aggregator's round loop and the party runtime; the masked rounds run the party's SecureRoundClient
 * against the server's SecureRound over in-process gRPC (no TLS: the transport over mTLS is
 * aggregator-server's SecureAggregationIT).
 */
@RequiresRealServers({RealServer.FASHION_MNIST})
class SecureAggregationAccuracyIT {

  private static JsonObject run(Path dir, String name, String... extra) throws Exception {
    Path report = dir.resolve(name + ".json");
    List<String> args = new ArrayList<>(List.of("--data", RealServer.fashionMnistDirectory().toString(), "--parties",
        "4", "--rounds", "3", "--model", "mlp", "--partition", "dirichlet:0.5", "--lr", "0.05", "--seed", "7",
        "--state-dir", dir.resolve(name).toString(), "--report", report.toString()));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = SimulateCommand.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    int code = command.execute(args.toArray(String[]::new));
    assertThat(code).as(out + "\n" + err).isZero();
    return JsonParser.parseString(Files.readString(report)).getAsJsonObject();
  }

  @Test
  @DisplayName("with --secure-aggregation the job reaches FedAvg's accuracy on the same split within 0.5 point, "
      + "every party in every round")
  void sameAccuracyAsFedAvg(@TempDir Path dir) throws Exception {
    JsonObject plain = run(dir, "fedavg");
    JsonObject masked = run(dir, "secagg", "--secure-aggregation");

    double fedAvg = plain.get("final_accuracy").getAsDouble();
    double secAgg = masked.get("final_accuracy").getAsDouble();
    System.out.printf("FedAvg %s, SecAgg+ %s%n", plain.get("accuracy_per_round"), masked.get("accuracy_per_round"));
    assertThat(masked.get("rounds_completed").getAsInt()).isEqualTo(3);
    assertThat(masked.getAsJsonObject("late_or_dropped").keySet()).isEmpty();
    assertThat(masked.get("samples_trained").getAsLong()).isEqualTo(plain.get("samples_trained").getAsLong());
    assertThat(fedAvg).as("FedAvg's own accuracy: the comparison means something").isGreaterThan(0.6);
    assertThat(secAgg).as("SecAgg+ %s against FedAvg %s", masked.get("accuracy_per_round"),
        plain.get("accuracy_per_round")).isCloseTo(fedAvg, org.assertj.core.data.Offset.offset(0.005));
  }
}
