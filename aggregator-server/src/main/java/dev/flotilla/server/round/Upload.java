package dev.flotilla.server.round;

import dev.flotilla.protocol.v1.UpdateHeader;

/** One party's SubmitUpdate in progress: the round it targets and its weight. */
public final class Upload {

  final String party;
  final RoundCoordinator.Round round;
  final UpdateHeader header;
  final double weight;
  /** Data of this upload is in the round's sum (so a failure from now on taints the sum). */
  boolean foldedAny;
  /** The round was finalised without this upload; every further step fails. */
  boolean cancelled;
  boolean finished;

  Upload(String party, RoundCoordinator.Round round, UpdateHeader header) {
    this.party = party;
    this.round = round;
    this.header = header;
    this.weight = header.getNumSamples();
  }

  public String party() {
    return party;
  }

  public int roundNumber() {
    return round.number;
  }

  public double weight() {
    return weight;
  }

  /** The global model the round started from (must not be modified). */
  float[][] baseModel() {
    return round.base;
  }
}
