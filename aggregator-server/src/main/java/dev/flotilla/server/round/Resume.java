package dev.flotilla.server.round;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.model.GlobalModel;
import dev.flotilla.server.model.FileModel;
import dev.flotilla.server.model.ModelStore;
import dev.flotilla.server.model.ModelSource;
import dev.flotilla.server.privacy.PrivacyBudget;
import dev.flotilla.server.privacy.PrivacyLedger;
import dev.flotilla.server.state.Checkpoint;
import dev.flotilla.server.state.CheckpointStore;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Going on from a checkpoint: only one of this job, strategy and model layout (anything else is
 * refused naming what differs, never silently replaced), its model as the current one, and its
 * progress, strategy state, parties and history restored.
 */
final class Resume {

  private static final Logger log = LoggerFactory.getLogger(Resume.class);

  private Resume() {}

  /** A checkpoint of this job, strategy and model layout; anything else is refused with what differs. */
  static Checkpoint check(Checkpoint c, ServerConfig config, ModelSource source, Strategy strategy,
      CheckpointStore checkpoints) throws IOException {
    if (c.jobId().equals(config.jobId()) && SessionNineDistributedDp.isOne(c, strategy)) {
      log.info("job {}: the checkpoint in {} records strategy fedavg with a privacy ledger: written for --dp-mode "
          + "distributed before the strategy was named {}; resumed as {}", config.jobId(), checkpoints.file(),
          strategy.name(), strategy.name());
    } else if (SessionNineDistributedDp.isOne(c, null)) {
      throw new IOException("state in " + checkpoints.file() + " belongs to job " + c.jobId() + " with distributed DP "
          + "(--secure-aggregation --dp-mode distributed; recorded as strategy fedavg by an older server), not job "
          + config.jobId() + " (" + source.describe() + ", strategy " + strategy.name() + "); resume it with the job's "
          + "id and --secure-aggregation --dp-mode distributed and its --privacy-budget, or use another --state-dir");
    } else if (!c.jobId().equals(config.jobId()) || !c.strategy().equals(strategy.name())) {
      throw new IOException("state in " + checkpoints.file() + " belongs to job " + c.jobId() + " (model " + c.model()
          + ", strategy " + c.strategy() + "), not job " + config.jobId() + " (" + source.describe() + ", strategy "
          + strategy.name() + "); use another --state-dir or the job's settings");
    }
    List<TensorSpec> recorded = c.layout();
    if (recorded.isEmpty()) {
      // a checkpoint from before layouts were recorded holds a built-in model, named in it
      try {
        recorded = ModelSpecs.forName(c.model());
      } catch (IllegalArgumentException e) {
        throw new IOException("state in " + checkpoints.file() + " records no layout and its model '" + c.model()
            + "' is no built-in architecture; use another --state-dir");
      }
    }
    String difference = ModelSource.firstDifference(recorded, "the checkpoint", source.layout(), source.describe());
    if (difference != null) {
      throw new IOException("state in " + checkpoints.file() + " holds another model than job " + config.jobId()
          + " is given: " + difference + "; use another --state-dir or the job's model");
    }
    String privacy = config.privacy() == null ? null : config.privacy().resumeRefusal(ledger(c, config));
    if (privacy != null) {
      throw new IOException("state in " + checkpoints.file() + " cannot go on with this privacy budget: " + privacy
          + " (or use another --state-dir)");
    }
    return c;
  }

  /**
   * What the checkpoint's rounds spent; a checkpoint written before ledgers were recorded is assumed to have
   * run every round with the settings given now (what such a server charged).
   */
  private static PrivacyLedger ledger(Checkpoint c, ServerConfig config) {
    return c.privacy() != null ? c.privacy() : PrivacyLedger.assumed(config.privacy(), c.roundsCompleted());
  }

  /**
   * The checkpoint's model as the job's current model: read from the checkpoint file itself (its
   * open channel keeps reading the same bytes after the next checkpoint replaced the file), else
   * copied into the store.
   */
  static GlobalModel model(Checkpoint c, ModelSource source, ModelStore store) throws IOException {
    GlobalModel saved = c.global();
    if (saved instanceof FileModel file) {
      FileModel model = file.withSpecs(source.layout());
      store.adopt(model);
      return model;
    }
    return store.copyOf(saved);
  }


  /** Restores the job's progress, strategy state, parties and history from the checkpoint. */
  static void apply(Checkpoint c, JobState job) {
    job.roundsCompleted = c.roundsCompleted();
    job.strategy.restore(c.strategyState());
    for (Checkpoint.PartyRecord p : c.parties()) {
      job.parties.restore(p.name(), p.index(), p.numSamples());
    }
    job.history.addAll(c.history());
    job.finalEvaluations.putAll(c.finalEvaluations());
    job.metrics.restoreBytes(c.bytesUp(), c.bytesDown());
    if (job.privacy != null) {
      restorePrivacy(c, job);
    }
    log.info("job {}: resumed from {} at round {} of {} (model version {}), known parties {}", job.jobId,
        job.checkpoints.file(), job.roundsCompleted, job.config.rounds(), c.modelVersion(), job.parties.names());
  }

  private static void restorePrivacy(Checkpoint c, JobState job) {
    PrivacyBudget now = job.privacy;
    PrivacyLedger saved = ledger(c, job.config);
    if (c.privacy() == null) {
      log.warn("job {}: the checkpoint records no privacy ledger (written by an older server): its {} rounds are "
          + "charged as if they ran with the settings given now", job.jobId, c.roundsCompleted());
    } else if (saved.epsilonBudget() != now.epsilonBudget()) {
      log.warn("job {}: --privacy-budget is {} now, {} before this restart", job.jobId, now.epsilonBudget(),
          saved.epsilonBudget());
    }
    job.spent = new PrivacyLedger(now.epsilonBudget(), saved.delta(), saved.runs());
    log.info("job {}: privacy ledger: {}; epsilon {} spent at delta {}; the next rounds run at noise multiplier {}, "
            + "sampling rate {}, clip norm {}", job.jobId, job.spent.describe(),
        String.format(java.util.Locale.ROOT, "%.4g", job.spent.epsilon()), job.spent.delta(), now.noiseMultiplier(),
        now.samplingRate(), now.clipNorm());
  }
}
