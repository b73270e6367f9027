package dev.flotilla.party.train;

/**
 * Local training settings of one round.
 *
 * @param epochs passes over the local data
 * @param batchSize samples per SGD step
 * @param learningRate SGD step size
 * @param momentum SGD momentum (0 = plain SGD); the momentum buffer starts at zero every round
 * @param proximalMu FedProx coefficient: the loss gains mu/2 * ||w - w_global||^2 when mu > 0
 * @param shuffleSeed seed of the order in which samples are visited
 * @param weightDecay L2 coefficient added to every gradient (SGD's weight_decay as in torch.optim.SGD; 0 = none)
 * @param correction SCAFFOLD's c - c_i, added to every gradient, one array per model tensor in layout order; null
 *     for none
 */
public record TrainingOptions(
    int epochs, int batchSize, float learningRate, float momentum, float proximalMu, long shuffleSeed,
    float weightDecay, float[][] correction) {

  /** Without a gradient correction. */
  public TrainingOptions(int epochs, int batchSize, float learningRate, float momentum, float proximalMu,
      long shuffleSeed, float weightDecay) {
    this(epochs, batchSize, learningRate, momentum, proximalMu, shuffleSeed, weightDecay, null);
  }

  /** Without weight decay. */
  public TrainingOptions(int epochs, int batchSize, float learningRate, float momentum, float proximalMu, long shuffleSeed) {
    this(epochs, batchSize, learningRate, momentum, proximalMu, shuffleSeed, 0f, null);
  }

  public TrainingOptions {
    if (epochs < 1) {
      throw new IllegalArgumentException("local epochs must be at least 1, got " + epochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
    }
    if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
    }
    if (!(proximalMu >= 0) || Float.isInfinite(proximalMu)) {
      throw new IllegalArgumentException("FedProx mu must be >= 0, got " + proximalMu);
    }
    if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    }
  }

  public TrainingOptions withProximalMu(float mu) {
    return new TrainingOptions(epochs, batchSize, learningRate, momentum, mu, shuffleSeed, weightDecay, correction);
  }

  public TrainingOptions withEpochs(int newEpochs) {
    return new TrainingOptions(newEpochs, batchSize, learningRate, momentum, proximalMu, shuffleSeed, weightDecay,
        correction);
  }

  public TrainingOptions withShuffleSeed(long seed) {
    return new TrainingOptions(epochs, batchSize, learningRate, momentum, proximalMu, seed, weightDecay, correction);
  }

  public TrainingOptions withCorrection(float[][] c) {
    return new TrainingOptions(epochs, batchSize, learningRate, momentum, proximalMu, shuffleSeed, weightDecay, c);
  }
}
