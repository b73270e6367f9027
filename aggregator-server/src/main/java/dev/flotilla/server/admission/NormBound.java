package dev.flotilla.server.admission;

import io.grpc.Status;
import io.grpc.StatusException;
import java.util.Locale;

/**
 * The optional bound on an update's L2 distance from the global model it was trained from
 * ({@code --max-update-norm}): an update further away is refused, or clipped onto the bound
 * (global + d * bound / ||d||), as {@code --update-norm-action} says.
 */
public record NormBound(double max, Action action) {

  public enum Action {
    /** fold global + d * bound / ||d|| instead of the update */
    CLIP,
    /** refuse the update (INVALID_ARGUMENT) */
    REFUSE;

    public static Action parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--update-norm-action must be clip or refuse, got '" + value + "'");
      }
    }
  }

  public NormBound {
    if (!(max > 0) || Double.isInfinite(max)) {
      throw new IllegalArgumentException("--max-update-norm must be a positive finite number, got " + max);
    }
    if (action == null) {
      throw new IllegalArgumentException("--update-norm-action is required with --max-update-norm");
    }
  }

  /**
   * The factor the update's difference from the global model is folded with: 1 within the bound,
   * {@code max / distance} beyond it when clipping.
   *
   * @throws StatusException INVALID_ARGUMENT when the update is beyond the bound and the action is refuse
   */
  public double scale(String party, double distance) throws StatusException {
    if (!(distance >= 0) || Double.isInfinite(distance)) {
      // finite float32 values cannot give this (their squares fit a double); refuse rather than guess
      throw Status.INVALID_ARGUMENT.withDescription("update of party '" + party + "' has no finite L2 distance from "
          + "the global model (" + distance + ")").asException();
    }
    if (distance <= max) {
      return 1.0;
    }
    if (action == Action.REFUSE) {
      throw Status.INVALID_ARGUMENT.withDescription(String.format(Locale.ROOT, "update of party '%s' is at L2 distance "
          + "%.6g from the global model, beyond --max-update-norm %s", party, distance, max)).asException();
    }
    return max / distance;
  }
}
