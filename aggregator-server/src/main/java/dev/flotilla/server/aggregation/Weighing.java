package dev.flotilla.server.aggregation;

/**
 * An update's part in a streaming mean, fixed when it opens.
 *
 * @param weight its weight in the running sum (> 0, finite)
 * @param samples its sample count
 * @param steps the local steps it stands for, normalised by the optimiser (FedNova's a_i; 1 when the
 *     strategy does not ask)
 */
record Weighing(double weight, double samples, double steps) {}
