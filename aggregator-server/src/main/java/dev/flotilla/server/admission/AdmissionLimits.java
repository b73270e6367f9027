package dev.flotilla.server.admission;

/**
 * What an update (and a final evaluation) may claim: the bound on a party's sample count, the size
 * of its metric maps, and the optional bound on its L2 distance from the global model.
 *
 * @param maxSamplesPerParty most samples a party may announce at Join (and so claim in an update)
 * @param maxMetrics most entries in a metrics map
 * @param maxMetricKeyLength longest metric name
 * @param normBound the per-update L2 bound, or null when updates are not bounded
 */
public record AdmissionLimits(long maxSamplesPerParty, int maxMetrics, int maxMetricKeyLength, NormBound normBound) {

  /** Default of --max-samples-per-party: far above any one organisation's training set, far below overflow. */
  public static final long DEFAULT_MAX_SAMPLES_PER_PARTY =
      dev.flotilla.protocol.options.ServerOptions.MAX_SAMPLES_PER_PARTY.defaultValue();
  /** Upper bound of --max-samples-per-party: with it, sums over any number of parties stay exact in a long and a double. */
  public static final long MAX_SAMPLES_PER_PARTY_LIMIT = 1L << 40;
  public static final int DEFAULT_MAX_METRICS = 32;
  public static final int DEFAULT_MAX_METRIC_KEY_LENGTH = 64;

  public AdmissionLimits {
    if (maxSamplesPerParty < 1 || maxSamplesPerParty > MAX_SAMPLES_PER_PARTY_LIMIT) {
      throw new IllegalArgumentException("--max-samples-per-party must be in 1.." + MAX_SAMPLES_PER_PARTY_LIMIT
          + ", got " + maxSamplesPerParty);
    }
    if (maxMetrics < 0 || maxMetricKeyLength < 1) {
      throw new IllegalArgumentException("metric bounds must be positive");
    }
  }

  /** The defaults of the command line: no norm bound. */
  public static AdmissionLimits defaults() {
    return new AdmissionLimits(DEFAULT_MAX_SAMPLES_PER_PARTY, DEFAULT_MAX_METRICS, DEFAULT_MAX_METRIC_KEY_LENGTH, null);
  }

  public AdmissionLimits withMaxSamplesPerParty(long max) {
    return new AdmissionLimits(max, maxMetrics, maxMetricKeyLength, normBound);
  }

  public AdmissionLimits withNormBound(NormBound bound) {
    return new AdmissionLimits(maxSamplesPerParty, maxMetrics, maxMetricKeyLength, bound);
  }
}
