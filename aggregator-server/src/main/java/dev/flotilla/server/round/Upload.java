package dev.flotilla.server.round;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.tensor.TensorChunks;
import dev.flotilla.protocol.tensor.TensorStreamDecoder;
import dev.flotilla.protocol.tensor.TensorStreamException;
import dev.flotilla.protocol.tensor.WireEncoding;
import dev.flotilla.server.aggregation.UpdateSink;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * One party's admitted update on its way into the round's aggregation: the place where chunks
 * arrive. Each data chunk is checked (size, alignment, room in the model, finite values; values of a
 * 2-byte encoding widened to float32 first) and then handed, tensor by tensor, to the strategy's
 * {@link UpdateSink}; at the end the sink is committed,
 * or discarded (which leaves no trace in the next model). Its own monitor orders the chunk thread
 * against the round loop closing the round: an upload is either committed before the close or
 * discarded by it, never half.
 */
public final class Upload {

  /** BROKEN: a discard failed part-way, so part of the update may still be in the aggregation. */
  private enum State { OPEN, COMMITTED, DISCARDED, BROKEN }

  private final String jobId;
  private final String party;
  private final Round round;
  private final long samples;
  private final Map<String, Double> metrics;
  private final WireEncoding encoding;
  private final TensorStreamDecoder decoder;
  private final UpdateSink sink;
  private State state = State.OPEN;

  Upload(String jobId, String party, Round round, long samples, Map<String, Double> metrics, List<TensorSpec> specs,
      UpdateSink sink) {
    this(jobId, party, round, samples, metrics, specs, WireEncoding.FLOAT32, sink);
  }

  /** An upload whose values arrive in {@code encoding} (the job's, checked at admission) and reach the sink as float32. */
  Upload(String jobId, String party, Round round, long samples, Map<String, Double> metrics, List<TensorSpec> specs,
      WireEncoding encoding, UpdateSink sink) {
    this.jobId = jobId;
    this.party = party;
    this.round = round;
    this.samples = samples;
    this.metrics = Map.copyOf(metrics);
    this.encoding = encoding;
    this.decoder = new TensorStreamDecoder(specs, encoding);
    this.sink = sink;
  }

  public String party() {
    return party;
  }

  public String jobId() {
    return jobId;
  }

  public Round round() {
    return round;
  }

  long samples() {
    return samples;
  }

  Map<String, Double> metrics() {
    return metrics;
  }

  public synchronized long valuesReceived() {
    return decoder.valuesReceived();
  }

  /**
   * Checks one data chunk and feeds it to the sink. The chunk's bytes must not change until the
   * upload ends (committed or discarded): the sink may keep views of them until then (the bulk port
   * reuses a frame's array only after the commit).
   *
   * @throws StatusException a refusal of the chunk (INVALID_ARGUMENT, RESOURCE_EXHAUSTED) saying
   *     what was wrong, or DEADLINE_EXCEEDED when the round closed without this upload
   */
  public synchronized void accept(ByteString data) throws StatusException, IOException {
    requireOpen();
    try {
      decoder.check(data);
    } catch (TensorStreamException e) {
      Status code = data.size() % encoding.bytesPerValue() != 0 && data.size() <= TensorChunks.MAX_CHUNK_BYTES
          ? Status.INVALID_ARGUMENT : Status.RESOURCE_EXHAUSTED;
      throw code.withDescription("update of party '" + party + "' refused: " + e.getMessage()).asException();
    }
    try {
      // block by block: the sink checks each block for NaN/Inf as it folds it (one pass over the bytes)
      decoder.acceptChecking(data, (tensor, offset, values, count) -> {
        try {
          return sink.acceptChecking(tensor, offset, values, count);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (TensorStreamException e) {
      // the chunk passed the checks above, so a NaN or infinity: what of it went before is discarded with the upload
      throw Status.INVALID_ARGUMENT.withDescription("update of party '" + party + "' refused: " + e.getMessage())
          .asException();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * The stream ended: a complete update is committed (from now on it counts); returns the sink's
   * note for the log.
   *
   * @throws StatusException INVALID_ARGUMENT when values are missing, the strategy's refusal of
   *     the complete update, or DEADLINE_EXCEEDED when the round closed first
   */
  public synchronized String commit() throws StatusException, IOException {
    requireOpen();
    if (!decoder.isComplete()) {
      throw Status.INVALID_ARGUMENT.withDescription("update of party '" + party + "' ended after "
          + decoder.valuesReceived() + " of " + decoder.valuesExpected() + " " + encoding.describe() + " values").asException();
    }
    String note;
    try {
      note = sink.commit();
    } catch (StatusException refused) {
      state = State.DISCARDED; // a sink that refuses its update has discarded it
      throw refused;
    } catch (IOException | RuntimeException e) {
      state = State.BROKEN; // failed half-way: what reached the aggregation is unknown, so no discard can vouch for it
      throw e;
    }
    state = State.COMMITTED;
    return note;
  }

  /**
   * Takes back whatever of the update reached the sink, unless it was committed; returns whether
   * it is (now) discarded.
   *
   * @throws IOException when the sink could not take it back (the attempt is then unusable)
   */
  public synchronized boolean discard() throws IOException {
    if (state == State.COMMITTED) {
      return false;
    }
    if (state == State.BROKEN) {
      // whoever discards next (the round's close racing the party's failure) must taint the attempt too
      throw new IOException("the update of party '" + party + "' could not be taken back from round "
          + round.number() + " earlier");
    }
    if (state == State.OPEN) {
      state = State.BROKEN;
      sink.discard();
      state = State.DISCARDED;
    }
    return true;
  }

  private void requireOpen() throws StatusException {
    if (state != State.OPEN) {
      throw Status.DEADLINE_EXCEEDED.withDescription("round " + round.number() + " of job " + jobId + " closed before the update of party '"
          + party + "' completed").asException();
    }
  }
}
