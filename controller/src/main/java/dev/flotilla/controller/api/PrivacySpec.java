package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/**
 * {@code spec.privacy} of a Flotilla aggregator: a differential-privacy budget the aggregator keeps
 * (KubeFlower's {@code budget}, plus what makes it mean something). The controller turns it into
 * the server's {@code --privacy-budget}, {@code --dp-*} flags; the bounds are the server's own.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PrivacySpec {

  @Min(value = 0, inclusive = false)
  @Max(100)
  @JsonPropertyDescription("Epsilon of the job's (epsilon, delta) budget, in (0, 100]: no round starts that would take "
      + "the job beyond it; the job then ends, and status.epsilonSpent and status.endReason say so.")
  private Double budget;

  @Min(value = 0, inclusive = false)
  @Max(0.1)
  @JsonPropertyDescription("Delta of the budget, in (0, 0.1] (default 1e-5); choose it below 1 / number of parties.")
  private Double delta;

  @Min(value = 0, inclusive = false)
  @Max(1e6)
  @JsonPropertyDescription("Bound on each update's L2 distance from the round's global model; larger updates are "
      + "clipped to it. In (0, 1e6].")
  private Double clipNorm;

  @Min(0.01)
  @Max(1000)
  @JsonPropertyDescription("Gaussian noise std over clipNorm on the sum of updates, in [0.01, 1000].")
  private Double noiseMultiplier;

  @Min(value = 0, inclusive = false)
  @Max(1)
  @JsonPropertyDescription("Probability that a party is asked to train in a round, in (0, 1] (default 1).")
  private Double samplingRate;

  @JsonPropertyDescription("Where the noise is added: server (the aggregator, the default) or distributed (each party "
      + "clips its update and adds its share of the noise before SecAgg+ masks it, so no one sees the sum without "
      + "noise; needs secureAggregation and samplingRate 1).")
  private PrivacyMode mode;

  @Min(0)
  @Max(dev.flotilla.protocol.options.PrivacySettings.MAX_DROPOUT_TOLERANCE)
  @JsonPropertyDescription("With mode distributed: the share of a round's parties that may drop with the released sum "
      + "still carrying the calibrated noise, in [0, 0.9] (default 0.1; the server's --dp-dropout-tolerance). Each "
      + "party's noise share is sized for the parties less this share; a round with more dropouts fails and is retried.")
  private Double dropoutTolerance;

  @JsonPropertyDescription("Aggregate with SecAgg+ (the server's --secure-aggregation): parties mask their updates and "
      + "the aggregator sees only their sum. Needs a mean strategy and at least 3 parties a round; with a budget, "
      + "needs mode distributed.")
  private Boolean secureAggregation;

  public PrivacySpec() {}

  public PrivacySpec(Double budget, Double delta, Double clipNorm, Double noiseMultiplier) {
    this.budget = budget;
    this.delta = delta;
    this.clipNorm = clipNorm;
    this.noiseMultiplier = noiseMultiplier;
  }

  public Double getBudget() {
    return budget;
  }

  public void setBudget(Double budget) {
    this.budget = budget;
  }

  public Double getDelta() {
    return delta;
  }

  public void setDelta(Double delta) {
    this.delta = delta;
  }

  public Double getClipNorm() {
    return clipNorm;
  }

  public void setClipNorm(Double clipNorm) {
    this.clipNorm = clipNorm;
  }

  public Double getNoiseMultiplier() {
    return noiseMultiplier;
  }

  public void setNoiseMultiplier(Double noiseMultiplier) {
    this.noiseMultiplier = noiseMultiplier;
  }

  public Double getSamplingRate() {
    return samplingRate;
  }

  public void setSamplingRate(Double samplingRate) {
    this.samplingRate = samplingRate;
  }

  public Double getDropoutTolerance() {
    return dropoutTolerance;
  }

  public void setDropoutTolerance(Double dropoutTolerance) {
    this.dropoutTolerance = dropoutTolerance;
  }

  public PrivacyMode getMode() {
    return mode;
  }

  public void setMode(PrivacyMode mode) {
    this.mode = mode;
  }

  public Boolean getSecureAggregation() {
    return secureAggregation;
  }

  public void setSecureAggregation(Boolean secureAggregation) {
    this.secureAggregation = secureAggregation;
  }
}
