package dev.flotilla.bench.quality;

import java.nio.file.Path;

/**
 * What both sides of the learning-quality benchmark run: the same data, parties, rounds and local
 * training settings. The party's {@code --seed} drives the split, the initial model and the sample order.
 */
record Recipe(Path data, String model, int parties, int rounds, int localEpochs, int batchSize, double learningRate,
    double momentum, long seed) {

  /** PyTorch threads of each party when all of them share this machine (LocalFederation's rule). */
  int threadsPerParty() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / parties);
  }
}
