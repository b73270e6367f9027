package dev.flotilla.server.privacy;

import java.security.SecureRandom;

/**
 * Poisson sampling of the parties of a DP round: each connected party is asked to train
 * independently with probability {@code rate} (what the accountant's sampled Gaussian mechanism
 * assumes). A party not connected when the round is configured is not asked (its probability is 0,
 * below the rate), and a party is never drawn twice for one attempt, so no one's chance exceeds
 * the rate. Drawn with SecureRandom, so parties cannot predict (or arrange) who is sampled.
 */
public final class PartySampling {

  private final double rate;
  private final SecureRandom random;

  public PartySampling(double rate, SecureRandom random) {
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("sampling rate must be in (0, 1], got " + rate);
    }
    this.rate = rate;
    this.random = random;
  }

  /** Whether the next party takes part in the attempt being configured. */
  public boolean draw() {
    return rate >= 1 || random.nextDouble() < rate;
  }
}
