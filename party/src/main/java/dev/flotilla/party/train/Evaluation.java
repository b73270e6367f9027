package dev.flotilla.party.train;

/**
 * A model's quality on a data set.
 *
 * @param loss mean cross-entropy
 * @param accuracy fraction of samples whose arg-max prediction is the label, 0 to 1
 * @param samples samples evaluated
 */
public record Evaluation(double loss, double accuracy, int samples) {}
