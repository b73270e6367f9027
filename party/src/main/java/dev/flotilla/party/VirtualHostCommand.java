package dev.flotilla.party;

import dev.flotilla.party.client.FederationSession;
import dev.flotilla.party.client.MutualTlsChannelFactory;
import dev.flotilla.party.client.PartyIdentity;
import dev.flotilla.party.client.RunnerSettings;
import dev.flotilla.party.data.Partitioner;
import dev.flotilla.party.train.PyTorchEngine;
import dev.flotilla.party.virtual.VirtualPartyHost;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code bin/flotilla party --virtual-parties K}: this process hosts K virtual parties of a study
 * ({@link VirtualPartyHost}) instead of being one party. The flags mean what they mean for one party,
 * except that --partition-index is the study's part of the first virtual party and --partition-count the
 * study's total. Virtual parties upload by SubmitUpdate only (the bulk port sees no header to tell them apart).
 */
final class VirtualHostCommand {
  private static final Logger log = LoggerFactory.getLogger(VirtualHostCommand.class);

  private VirtualHostCommand() {}

  /** The flags a host cannot honour, refused before anything is read. */
  static void validate(PartyCommand party, CommandSpec spec) {
    try {
      placement(party);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    String refused = party.model == null ? "a built-in --model is needed"
        : party.torchScript != null ? "--torchscript is not supported"
        : party.trainerCommand != null ? "--trainer-command is not supported"
        : party.peerPort != 0 ? "--peer-port is not supported (secure aggregation needs one party a process)"
        : party.maxSamples != null || party.evalSamples != null ? "--max-samples and --eval-samples are not supported"
        : null;
    if (refused != null) {
      throw new ParameterException(spec.commandLine(), "with --virtual-parties, " + refused
          + " (virtual parties train the built-in models on a pool of DJL trainers)");
    }
  }

  static VirtualPartyHost.Placement placement(PartyCommand party) {
    return new VirtualPartyHost.Placement(party.virtualParties, party.partitionIndex, party.partitionCount,
        Partitioner.parse(party.partition), party.seed);
  }

  static int run(PartyCommand party) throws InterruptedException {
    PartyIdentity host = PartyIdentity.fromCertificateFile(party.cert);
    PyTorchEngine.loadInBackground(); // while the data set is read
    PartyDataset.Shared data = PartyDataset.loadShared(party.datasetSettings());
    MutualTlsChannelFactory channels = new MutualTlsChannelFactory(party.server, party.serverName,
        party.serverIdentity, party.cert, party.key, party.caCertificate(), host.identity());
    int trainers = party.virtualTrainers != null ? party.virtualTrainers : Runtime.getRuntime().availableProcessors();
    log.info("hosting {} virtual parties of {}: {}, test samples from {}, {} trainers", party.virtualParties,
        host.uri(), data.loaded().description(), data.testOrigin(), trainers);
    try (VirtualPartyHost virtual = new VirtualPartyHost(placement(party), data.train(), data.test(), host,
        channels::forVirtualParty, part -> settings(party, part), trainers)) {
      Thread main = Thread.currentThread();
      Thread hook = new Thread(() -> {
        virtual.stop();
        main.interrupt();
      }, "party-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      Map<String, Double> accuracies = virtual.run();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the JVM is exiting anyway
      }
      accuracies.forEach((name, accuracy) -> log.info("done: virtual party {} final accuracy {}", name,
          String.format(Locale.ROOT, "%.4f", accuracy)));
      Map<String, Throwable> failures = virtual.failures();
      if (!failures.isEmpty()) {
        var first = failures.entrySet().iterator().next();
        log.error("{} of {} virtual parties failed; {}: {}", failures.size(), virtual.names().size(), first.getKey(),
            first.getValue().getMessage());
        // the same way out as one party's failure: the command line maps it to its exit code and message
        if (first.getValue() instanceof RuntimeException e) {
          throw e;
        }
        throw (Error) first.getValue();
      }
      return 0;
    }
  }

  /** Virtual party of part {@code part}: the one-party settings, its own part index (its seed stream). */
  private static RunnerSettings settings(PartyCommand party, int part) {
    return new RunnerSettings(party.model, party.localEpochs, party.batchSize, party.learningRate, party.momentum,
        party.weightDecay, party.seed, part, FederationSession.Deadlines.defaults(), Duration.ofMillis(500),
        Duration.ofSeconds(30), party.giveUpAfter);
  }
}
