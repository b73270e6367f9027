package dev.flotilla.party.train;

/**
 * Outcome of local training.
 *
 * @param weights the trained weights, one array per tensor in wire order
 * @param trainLoss mean cross-entropy (without the proximal term) over the samples of the last epoch
 * @param samples samples seen per epoch
 * @param steps SGD steps taken
 */
public record TrainResult(float[][] weights, double trainLoss, int samples, int steps) {}
