package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.status.MetricNames;
import io.grpc.Status;
import io.grpc.StatusException;

/**
 * FedNova (Wang et al. 2020, "Tackling the Objective Inconsistency Problem in Heterogeneous
 * Federated Optimization"): each party's change is normalised by the local steps it took, so a party
 * that took more steps does not pull the model further towards its own optimum; the normalised
 * changes are averaged by sample count and scaled by the effective steps tau_eff.
 *
 * <p>With p_i = n_i / N, d_i = (x - y_i) / a_i and tau_eff = sum p_i a_i the next model is x - tau_eff
 * sum p_i d_i. Folding y_i with weight n_i / a_i gives the mean m = sum (n_i / a_i) y_i / W with W =
 * sum n_i / a_i, and sum p_i d_i = (W / N)(x - m); so the next model is x - s (x - m) with s =
 * tau_eff W / N, one streaming pass (memory O(model)). When every a_i is equal, s = 1: FedAvg.
 *
 * <p>a_i is the L1 norm of the paper's vector for the party's optimiser: tau_i for plain SGD, and for
 * SGD with momentum rho [tau_i - rho (1 - rho^tau_i) / (1 - rho)] / (1 - rho). Parties report tau_i
 * and rho in the update's metrics ({@link MetricNames#LOCAL_STEPS}, {@link MetricNames#SGD_MOMENTUM});
 * the server computes a_i itself and bounds the claims: 1 <= tau_i <= local epochs x n_i (what the
 * job's announced epochs could produce at batch size 1) and rho <= {@value #MAX_MOMENTUM}. A party
 * that lies within those bounds shifts its own weight by at most what lying about its sample count
 * could, and tau_eff by at most its share p_i times its bound.
 */
public final class FedNova extends MeanStrategy {

  /** The largest momentum a party may claim: a_i stays below 100 tau_i. */
  static final double MAX_MOMENTUM = 0.99;

  /** s = tau_eff W / N of the attempt being finished. */
  private double scale = 1;

  @Override
  public String name() {
    return "fednova";
  }

  /** The L1 norm of FedNova's a_i for {@code steps} steps of SGD with momentum {@code rho} (0: plain SGD). */
  static double normalisedSteps(long steps, double rho) {
    return dev.flotilla.protocol.model.SgdSteps.normalised(steps, rho);
  }

  @Override
  Weighing weigh(String party, UpdateFacts facts) throws StatusException {
    if (facts.localEpochs() <= 0) {
      throw refused("the job announced no local epochs (server --local-epochs 0), so the local steps of party '"
          + party + "' cannot be bounded");
    }
    Double steps = facts.metrics().get(MetricNames.LOCAL_STEPS);
    if (steps == null) {
      throw refused("update of party '" + party + "' has no metric '" + MetricNames.LOCAL_STEPS
          + "' (the SGD steps it took), which --strategy fednova needs");
    }
    double mostSteps = (double) facts.localEpochs() * facts.samples();
    if (steps != Math.rint(steps) || steps < 1 || steps > mostSteps) {
      throw refused("update of party '" + party + "' claims " + steps + " local steps; expected a whole number from 1 "
          + "to " + (long) mostSteps + " (" + facts.localEpochs() + " local epochs of " + facts.samples() + " samples)");
    }
    double rho = facts.metrics().getOrDefault(MetricNames.SGD_MOMENTUM, 0.0);
    if (!(rho >= 0 && rho <= MAX_MOMENTUM)) {
      throw refused("update of party '" + party + "' claims SGD momentum " + rho + "; expected 0 to " + MAX_MOMENTUM);
    }
    double a = normalisedSteps(steps.longValue(), rho);
    return new Weighing(facts.samples() / a, facts.samples(), a);
  }

  @Override
  void beforeSteps(RoundTally tally) {
    double tauEff = tally.samplesTimesSteps() / tally.samples();
    scale = tauEff * tally.weight() / tally.samples();
  }

  @Override
  boolean movesFromBase() {
    return true;
  }

  @Override
  void step(int tensor, int offset, float[] base, float[] mean, int count) {
    for (int i = 0; i < count; i++) {
      mean[i] = (float) (base[i] - scale * ((double) base[i] - mean[i]));
    }
  }

  private static StatusException refused(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
