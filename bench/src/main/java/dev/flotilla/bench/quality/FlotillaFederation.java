package dev.flotilla.bench.quality;

import dev.flotilla.demo.DemoCommand;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Flotilla federation on this machine: the aggregator and one party process per part, over mutual
 * TLS (the demo's {@link LocalFederation}), FedAvg from an initial model file ({@code --initial-model}, the
 * file the PyTorch reference starts from; its metadata names the built-in architecture the parties build
 * with DJL). Each party evaluates the global
 * model it receives on the whole test set; the aggregator's status file turns those reports into the
 * accuracy of the model after every round.
 */
final class FlotillaFederation {

  /** The curve and what else a reader of the figures needs to trust it. */
  record Result(Curve curve, Map<Integer, List<String>> lateOrDropped, double wallSeconds, List<Double> roundSeconds) {}

  private FlotillaFederation() {}

  static Result run(FlotillaJars jars, Path directory, Recipe recipe, String partition, Path initialModel,
      PrintWriter out) {
    LocalFederation.Settings settings = new LocalFederation.Settings()
        .parties(recipe.parties())
        .rounds(recipe.rounds())
        .model(null)
        .initialModel(initialModel)
        .strategy("fedavg")
        .partition(partition)
        .seed(recipe.seed())
        .dataDirectory(recipe.data())
        .localEpochs(recipe.localEpochs())
        .batchSize(recipe.batchSize())
        .learningRate(recipe.learningRate())
        .partyArg("--momentum", Double.toString(recipe.momentum()))
        // a slow round on a loaded machine must not drop a party: that would change what is averaged
        .roundTimeout(Duration.ofMinutes(30));
    long started = System.nanoTime();
    List<Double> roundSeconds = new ArrayList<>();
    try (LocalFederation federation = LocalFederation.prepare(settings, jars, directory)) {
      federation.start();
      JobStatus status = DemoCommand.followUntilFinished(federation, out, roundSeconds, started,
          Duration.ofHours(3));
      List<Double> accuracy = new ArrayList<>();
      // round 1's reports are of version 0, the initial model
      accuracy.add(status.round(1).filter(r -> r.evaluatedModelVersion() == 0).map(RoundRecord::accuracy).orElse(null));
      for (int round = 1; round <= recipe.rounds(); round++) {
        var after = status.accuracyAfterRound(round);
        accuracy.add(after.isPresent() ? after.getAsDouble() : null);
      }
      return new Result(new Curve("Flotilla", accuracy), status.lateOrDroppedByRound(), (System.nanoTime() - started) / 1e9,
          roundSeconds);
    } catch (LocalFederation.FederationFailure failure) {
      throw new IllegalStateException("the Flotilla federation (" + partition + ") failed: " + failure.getMessage()
          + "; logs in " + directory.resolve("logs") + "\n" + failure.logs(), failure);
    }
  }
}
