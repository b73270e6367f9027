package dev.flotilla.server.aggregation;

import io.grpc.StatusException;
import java.io.IOException;
import java.nio.FloatBuffer;

/**
 * One party's update on its way into a {@link RoundAggregation}. Exactly one of {@link #commit()}
 * and {@link #discard()} ends it; an update that was discarded leaves no trace in the next model,
 * however much of it arrived (the round goes on for everyone else).
 */
public interface UpdateSink {

  /**
   * Takes {@code count} values of {@code tensor} starting at element {@code offset}, read from
   * {@code values} at its position (which this method does not move).
   */
  void accept(int tensor, int offset, FloatBuffer values, int count) throws IOException;

  /**
   * The whole update arrived: from now on it counts. Returns a note for the log (e.g. "clipped from
   * L2 distance 12.3 to 5"), or "".
   *
   * @throws StatusException when the strategy refuses the complete update (e.g. beyond a norm
   *     bound with the refuse action); the sink is then discarded
   */
  String commit() throws IOException, StatusException;

  /** The update failed or was refused: take back whatever of it was taken. */
  void discard() throws IOException;
}
