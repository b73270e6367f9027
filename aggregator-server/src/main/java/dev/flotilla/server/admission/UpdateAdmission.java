package dev.flotilla.server.admission;

import io.grpc.Status;
import io.grpc.StatusException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules a party's claims must satisfy before they weigh on the global model or reach the status
 * file: the sample count announced at Join is positive and at most --max-samples-per-party; an
 * update claims 1..that count (the announcement binds); metric maps are small, their names plain,
 * their values finite. Every refusal is INVALID_ARGUMENT with a description that says what was wrong.
 *
 * <p>Why the weighting cannot overflow: a weight is at most --max-samples-per-party <= 2^40, so the
 * running sum (double, weight times a finite float32 below 2^128) and its total weight stay finite
 * and exact enough for any number of parties; the round's sample total, a long, would need 2^23
 * parties at the bound to wrap and saturates instead (RoundCoordinator).
 */
public final class UpdateAdmission {

  /** Metric names: what trainers report ("loss", "accuracy", "val/f1"), nothing that could forge a log line. */
  private static final Pattern METRIC_NAME = Pattern.compile("[A-Za-z0-9_.:/-]+");

  private final AdmissionLimits limits;

  public UpdateAdmission(AdmissionLimits limits) {
    this.limits = limits;
  }

  public AdmissionLimits limits() {
    return limits;
  }

  /** The count a party announces at Join: its training samples, 1..--max-samples-per-party. */
  public void checkJoin(String party, long numSamples) throws StatusException {
    if (numSamples <= 0) {
      throw refused("party '" + party + "' announced num_samples " + numSamples + " at Join; it must be > 0 (the "
          + "number of training samples the party holds)");
    }
    if (numSamples > limits.maxSamplesPerParty()) {
      throw refused("party '" + party + "' announced num_samples " + numSamples + " at Join, more than the "
          + limits.maxSamplesPerParty() + " a party may hold in this job (--max-samples-per-party)");
    }
  }

  /** An update's weight: 1..the count its party announced at Join. */
  public void checkUpdateSamples(String party, long claimed, long announcedAtJoin) throws StatusException {
    if (claimed <= 0) {
      throw refused("update num_samples must be > 0, got " + claimed);
    }
    if (claimed > announcedAtJoin) {
      throw refused("update of party '" + party + "' claims " + claimed + " samples, more than the "
          + announcedAtJoin + " it announced at Join (an update may claim 1.." + announcedAtJoin + ")");
    }
  }

  /** A final evaluation's weight: 0 (unknown) up to --max-samples-per-party test samples. */
  public void checkEvaluationSamples(String party, long numSamples) throws StatusException {
    if (numSamples < 0 || numSamples > limits.maxSamplesPerParty()) {
      throw refused("evaluation of party '" + party + "' claims " + numSamples + " test samples; it must be in 0.."
          + limits.maxSamplesPerParty() + " (--max-samples-per-party)");
    }
  }

  /** A metrics map of an update header or an evaluation report ({@code what} names it in the refusal). */
  public void checkMetrics(String what, Map<String, Double> metrics) throws StatusException {
    if (metrics.size() > limits.maxMetrics()) {
      throw refused(what + " carries " + metrics.size() + " metrics, more than the " + limits.maxMetrics()
          + " allowed");
    }
    for (Map.Entry<String, Double> e : metrics.entrySet()) {
      String name = e.getKey();
      if (name.length() > limits.maxMetricKeyLength()) {
        throw refused(what + " has a metric name of " + name.length() + " characters, more than the "
            + limits.maxMetricKeyLength() + " allowed");
      }
      if (!METRIC_NAME.matcher(name).matches()) {
        throw refused(what + " has a metric name that is not made of letters, digits and _ . : / -");
      }
      double value = e.getValue();
      if (!Double.isFinite(value)) {
        throw refused(what + ": metric '" + name + "' is " + value + "; metrics must be finite numbers");
      }
    }
  }

  private static StatusException refused(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
