package dev.flotilla.server.round;

import java.util.Map;

/**
 * How a participant's part in a round attempt ended. The status file and the checkpoint keep the
 * text of {@link #describe()} ("late", "dropped", "declined: ...", "rejected: ...") for those that did not submit.
 */
public sealed interface PartyOutcome {

  Late LATE = new Late();
  Dropped DROPPED = new Dropped();

  /** The text recorded for the round. */
  String describe();

  /** Its update was committed to the round's aggregation, with the weight and metrics it claimed. */
  record Submitted(long samples, Map<String, Double> metrics) implements PartyOutcome {
    public Submitted {
      metrics = Map.copyOf(metrics);
    }

    @Override
    public String describe() {
      return "submitted";
    }
  }

  /** Still connected when the round closed, without a committed update. */
  record Late() implements PartyOutcome {
    @Override
    public String describe() {
      return "late";
    }
  }

  /** Its Rounds stream was gone when the round closed. */
  record Dropped() implements PartyOutcome {
    @Override
    public String describe() {
      return "dropped";
    }
  }

  /** It said it will not submit (DeclineRound), and why; the round stopped waiting for it. */
  record Declined(String reason) implements PartyOutcome {
    @Override
    public String describe() {
      return "declined: " + reason;
    }
  }

  /** Its update was refused; the round stopped waiting for it. */
  record Refused(String reason) implements PartyOutcome {
    @Override
    public String describe() {
      return "rejected: " + reason;
    }
  }
}
