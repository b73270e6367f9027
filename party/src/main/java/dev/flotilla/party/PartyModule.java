package dev.flotilla.party;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.flotilla.party.client.ChannelFactory;
import dev.flotilla.party.client.FederationSession;
import dev.flotilla.party.client.MutualTlsChannelFactory;
import dev.flotilla.party.client.PartyIdentity;
import dev.flotilla.party.client.RunnerSettings;
import dev.flotilla.party.train.DjlTrainer;
import dev.flotilla.party.train.LocalTrainer;
import dev.flotilla.party.train.scaffold.ControlVariateStore;
import dev.flotilla.party.train.scaffold.ScaffoldTrainer;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.party.train.external.ExternalTrainer;
import dev.flotilla.party.train.external.ExternalTrainerSettings;
import com.google.inject.Provider;
import java.io.IOException;
import java.util.List;
import java.time.Clock;
import java.time.Duration;

/** Wiring of the party runnable, made once in {@link PartyCommand#call()}. */
final class PartyModule extends AbstractModule {
  private final PartyCommand options;

  PartyModule(PartyCommand options) {
    this.options = options;
  }

  @Override
  protected void configure() {
    bind(Clock.class).toInstance(Clock.systemUTC());
  }

  @Provides
  @Singleton
  RunnerSettings settings() {
    return new RunnerSettings(options.model, options.localEpochs, options.batchSize, options.learningRate,
        options.momentum, options.weightDecay, options.seed, options.partitionIndex, FederationSession.Deadlines.defaults(),
        Duration.ofMillis(500), Duration.ofSeconds(30), options.giveUpAfter);
  }

  @Provides
  @Singleton
  PartyIdentity identity() {
    return PartyIdentity.fromCertificateFile(options.cert);
  }

  @Provides
  @Singleton
  PartyDataset dataset() {
    return PartyDataset.load(options.datasetSettings());
  }

  @Provides
  @Singleton
  LocalTrainer trainer(Provider<PartyDataset> data) throws IOException {
    // SCAFFOLD's c_i goes beside the trainer's files when the party has a --work-dir
    ControlVariateStore controls = options.workDir == null ? ControlVariateStore.inMemory()
        : ControlVariateStore.inDirectory(options.workDir);
    return new ScaffoldTrainer(trainerOf(data), controls);
  }

  private LocalTrainer trainerOf(Provider<PartyDataset> data) throws IOException {
    if (options.trainerCommand != null) {
      // the command reads the data itself: the party does not load it
      TrainingOptions defaults = new TrainingOptions(options.localEpochs == null ? 1 : options.localEpochs,
          options.batchSize, options.learningRate, options.momentum, 0, options.seed, options.weightDecay);
      return new ExternalTrainer(new ExternalTrainerSettings(options.trainerCommand, options.trainerTimeout,
          options.workDir, options.dataFlags.data(), options.dataFlags.testData(), options.partition, options.partitionIndex,
          options.partitionCount, options.seed, options.maxSamples, options.evalSamples, defaults, List.of(options.caCertificate(), options.cert, options.key)));
    }
    return new DjlTrainer(data.get(), options.seed, options.torchScript);
  }

  @Provides
  @Singleton
  ChannelFactory channels(PartyIdentity identity) {
    MutualTlsChannelFactory channels = new MutualTlsChannelFactory(options.server, options.serverName,
        options.serverIdentity, options.cert, options.key, options.caCertificate(), identity.identity());
    return options.bulkUpload ? channels.withBulkUploads(options.bulkServer, options.bulkServerName) : channels;
  }
}
