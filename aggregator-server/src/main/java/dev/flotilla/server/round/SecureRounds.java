package dev.flotilla.server.round;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.server.aggregation.RoundAggregation;
import dev.flotilla.server.aggregation.UpdateSink;
import dev.flotilla.server.model.GlobalModel;
import io.grpc.StatusException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The round loop's three steps for a masked round (--secure-aggregation): configure starts a {@link
 * SecureRound} over the chosen parties, collect records the survivors once it is over, aggregate
 * hands the unmasked mean to the job's strategy as a single update of weight 1 (so FedAdam's and
 * FedYogi's server optimisers apply to it as to a plain mean).
 */
final class SecureRounds {

  private SecureRounds() {}

  /** The four short phases (keys, shares, consistency check, unmasking) each wait at most this share of --round-timeout. */
  static Duration phaseTimeout(Duration roundTimeout) {
    Duration fifth = roundTimeout.dividedBy(5);
    return fifth.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : fifth;
  }

  /**
   * A masked round over the chosen parties, weighted by the samples they announced at Join; those of {@code
   * noiseOnly} (chosen too) pad a distributed-DP sample and send their noise share only.
   */
  static SecureRound start(JobState job, Round round, List<Party> eligible, Set<String> chosen, Set<String> noiseOnly) {
    Map<String, Long> roster = new LinkedHashMap<>();
    for (Party p : eligible) {
      if (chosen.contains(p.name)) {
        roster.put(p.name, Math.max(1, p.numSamples));
      }
    }
    SecureRound secure = new SecureRound(job.jobId, round, roster, Math.toIntExact(ModelSpecs.totalElements(job.specs)),
        job.config.secureAggregationClipRange(), job.privacy != null && job.privacy.distributed() ? job.privacy : null,
        phaseTimeout(job.config.roundTimeout()), job.clock, () -> {
          job.lock.lock();
          try {
            job.changed.signalAll();
          } finally {
            job.lock.unlock();
          }
        });
    secure.noiseOnly(noiseOnly);
    return secure;
  }

  private static float[] nextFromNoisedSum(float[] sum, GlobalModel base, List<TensorSpec> specs,
      double expectedParticipants) {
    float[] next = new float[sum.length];
    int offset = 0;
    for (int t = 0; t < specs.size(); t++) {
      int count = specs.get(t).numElements();
      base.read(t, 0, next, offset, count);
      offset += count;
    }
    for (int i = 0; i < next.length; i++) {
      next[i] = (float) (next[i] + sum[i] / expectedParticipants);
    }
    return next;
  }

  /**
   * What a completed round is charged with: in a distributed-DP round the noise its unmasked sum actually carried
   * (at least the calibrated noise, more with more survivors than the shares were sized for), else the settings.
   */
  static dev.flotilla.server.privacy.PrivacyBudget charged(JobState job, RoundCollection collection) {
    SecureRound secure = collection.secure;
    return secure != null && secure.distributedNoise()
        ? job.privacy.withPresentNoise(secure.presentNoiseMultiplier()) : job.privacy;
  }

  /** How a masked round's shares travelled, for its status record; null for a round without SecAgg+. */
  static dev.flotilla.protocol.status.ShareRoutes shareRoutes(RoundCollection collection) {
    return collection.secure == null ? null : collection.secure.shareRoutes();
  }

  /** After the masked round: the survivors as submitted, or the attempt tainted with why the round failed. */
  static void record(RoundCollection collection) {
    SecureRound secure = collection.secure;
    if (secure.failure() != null) {
      collection.taint(null, "the masked round failed: " + secure.failure());
      return;
    }
    // a party that only padded the roster with noise trained on nothing that is in the sum
    secure.contributions().forEach((name, c) -> collection.record(name,
        new PartyOutcome.Submitted(secure.isNoiseOnly(name) ? 0 : c.samples(), c.metrics())));
  }

  /**
   * The unmasked mean, tensor by tensor, as the one update of the strategy's aggregation. In a distributed-DP
   * round that is DP-FedAvg's next model {@code base + (noised sum) / E}, with {@code E} the expected participants
   * (a fixed denominator, as DpFedAvg's: the count of survivors would depend on who took part).
   */
  static void feedMean(SecureRound secure, RoundAggregation aggregation, List<TensorSpec> specs, GlobalModel base,
      double expectedParticipants) throws IOException {
    float[] mean = secure.distributedNoise() ? nextFromNoisedSum(secure.noisedSum(), base, specs, expectedParticipants)
        : secure.mean();
    UpdateSink sink = aggregation.open("secure-aggregation", 1.0);
    int offset = 0;
    for (int t = 0; t < specs.size(); t++) {
      int count = specs.get(t).numElements();
      sink.accept(t, 0, FloatBuffer.wrap(mean, offset, count).slice(), count);
      offset += count;
    }
    try {
      sink.commit();
    } catch (StatusException e) {
      sink.discard();
      throw new IOException("the strategy refused the unmasked mean: " + e.getStatus().getDescription(), e);
    }
  }
}
