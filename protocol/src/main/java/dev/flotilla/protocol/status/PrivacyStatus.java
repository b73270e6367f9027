package dev.flotilla.protocol.status;

/**
 * The differential-privacy budget of a DP-FedAvg job (aggregator-server/README.md, "Differential
 * privacy"): what was promised, what the rounds completed have spent, and how many rounds the budget
 * allows.
 *
 * @param epsilonBudget the job's --privacy-budget: no round starts that would take epsilon beyond it
 * @param delta the delta of every (epsilon, delta) here (--dp-delta)
 * @param epsilonSpent epsilon of the rounds completed so far (0 before the first)
 * @param noiseMultiplier Gaussian noise std over the clipping norm (--dp-noise-multiplier)
 * @param clipNorm bound on each update's L2 distance from the round's global model (--dp-clip-norm)
 * @param samplingRate probability that a party is asked to train in a round (--dp-sampling-rate)
 * @param roundsAllowed the most rounds whose epsilon stays within the budget (at most the job's rounds)
 */
public record PrivacyStatus(double epsilonBudget, double delta, double epsilonSpent, double noiseMultiplier,
    double clipNorm, double samplingRate, int roundsAllowed) {}
