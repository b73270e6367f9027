package dev.flotilla.server;

import dev.flotilla.protocol.secagg.SecAggParams;
import java.util.List;

/**
 * What --secure-aggregation cannot be combined with, and why (the aggregator never sees an individual update);
 * --privacy-budget's rules with it are PrivacySettings#secureAggregationRefusal.
 */
final class SecureAggregationRules {

  static final List<String> STRATEGIES = SecAggParams.MEAN_STRATEGIES;

  private SecureAggregationRules() {}

  /** The checks of ServerConfig's constructor (the record's fields are not set yet there, so they come one by one). */
  static void check(String strategy, dev.flotilla.server.admission.AdmissionLimits admission, int minParties) {
    if (!STRATEGIES.contains(strategy)) {
      throw new IllegalArgumentException("--secure-aggregation reveals only the sum of the updates, and --strategy "
          + strategy + " needs each party's update (to rank, trim or score it); use one of " + STRATEGIES);
    }
    if (admission.normBound() != null) {
      throw new IllegalArgumentException("--secure-aggregation hides each party's update, so --max-update-norm cannot "
          + "measure it; drop --max-update-norm");
    }
    if (minParties < SecAggParams.MIN_ROSTER) {
      throw new IllegalArgumentException("--secure-aggregation needs --min-parties of at least " + SecAggParams.MIN_ROSTER
          + " (with two, the sum minus one's own update is the other's), got " + minParties);
    }
  }
}
