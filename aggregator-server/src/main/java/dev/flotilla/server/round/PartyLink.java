package dev.flotilla.server.round;

import dev.flotilla.protocol.v1.Finished;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.Status;

/**
 * A party's Rounds stream as the round loop sees it: it can be asked to train, told that the job
 * finished, or refused; and it reports when it is gone. The gRPC implementation wraps the server
 * stream; tests use a fake, so the loop runs without gRPC. Sending never throws: a link that died
 * between the check and the send is reported gone through {@link #whenGone}.
 */
public interface PartyLink {

  /** Asks the party to train a round. */
  void train(TrainRequest request);

  /** Sends Finished and ends the stream normally. */
  void finish(Finished finished);

  /** Ends the stream with a refusal (e.g. the party lost its slot). */
  void refuse(Status status);

  /** Runs {@code gone} once when the party's side of the stream is gone (cancelled, connection lost). */
  void whenGone(Runnable gone);
}
