package dev.flotilla.server.aggregation;

/**
 * What the committed updates of an attempt claimed, summed: the side sums a strategy needs besides
 * the weighted mean (FedNova's tau_eff). Only committed updates count, so a discard leaves no trace.
 *
 * @param updates committed updates
 * @param weight the sum of their weights (the mean's denominator)
 * @param samples the sum of their sample counts
 * @param samplesTimesSteps the sum of samples x steps over them
 */
record RoundTally(int updates, double weight, double samples, double samplesTimesSteps) {

  static final RoundTally EMPTY = new RoundTally(0, 0, 0, 0);

  RoundTally plus(Weighing w) {
    return new RoundTally(updates + 1, weight + w.weight(), samples + w.samples(),
        samplesTimesSteps + w.samples() * w.steps());
  }
}
