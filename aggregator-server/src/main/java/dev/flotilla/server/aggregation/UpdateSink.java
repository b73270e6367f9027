package dev.flotilla.server.aggregation;

import dev.flotilla.protocol.tensor.FloatKernels;
import io.grpc.StatusException;
import java.io.IOException;
import java.nio.ByteBuffer;
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
   * The receive path: takes {@code count} little-endian float32 values of {@code values} (from its
   * position, which this method does not move) that nobody has checked yet, and returns the index of
   * the first NaN or infinity among them (the update is then refused and discarded: what the sink took
   * of it does not count) or -1. The bytes never change, so the sink may keep the buffer until the
   * update ends. This default checks them, then hands them to {@link #accept}; a sink that folds can
   * check in the same pass.
   */
  default int acceptChecking(int tensor, int offset, ByteBuffer values, int count) throws IOException {
    int bad = FloatKernels.firstNonFinite(values, count);
    if (bad < 0) {
      accept(tensor, offset, values.asFloatBuffer().limit(count), count);
    }
    return bad;
  }

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
