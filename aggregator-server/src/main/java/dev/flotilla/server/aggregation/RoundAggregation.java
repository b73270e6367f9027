package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.ModelWriter;
import io.grpc.StatusException;
import java.io.IOException;

/**
 * One attempt of one round, from its first update to the next global model. Thread-safe: parties
 * upload concurrently, each through its own {@link UpdateSink}.
 */
public interface RoundAggregation extends AutoCloseable {

  /**
   * A sink for one party's update, weighted by {@code weight} (its sample count). Values arrive
   * checked (finite, in the job's layout), in layout order, chunk by chunk.
   */
  UpdateSink open(String party, double weight) throws IOException;

  /**
   * A sink for one party's update, knowing its header: what the receive path calls. Strategies that
   * weigh by more than the sample count (FedNova: by the local steps taken) override it.
   *
   * @throws StatusException when the header lacks what the strategy needs or claims more than it could
   */
  default UpdateSink open(String party, UpdateFacts facts) throws IOException, StatusException {
    return open(party, (double) facts.samples());
  }

  /** Updates committed so far. */
  int committed();

  /**
   * Writes the next global model from the committed updates (at least one) into {@code next}, every
   * value of every tensor exactly once, tensor by tensor in layout order. Called once, after every
   * sink was committed or discarded.
   */
  void finish(ModelWriter next) throws IOException;

  /** Releases what the attempt holds (spill files, buffers); called once, also when finish was not. */
  @Override
  void close() throws IOException;
}
