package dev.flotilla.server.round;

import dev.flotilla.protocol.v1.Finished;
import dev.flotilla.protocol.v1.TrainRequest;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A party's link without gRPC: records what the coordinator sent; {@link #drop()} makes the party gone. */
final class FakeLink implements PartyLink {

  final List<TrainRequest> trainRequests = new CopyOnWriteArrayList<>();
  volatile Finished finished;
  volatile Status refused;
  private volatile Runnable gone = () -> {};

  @Override
  public void train(TrainRequest request) {
    trainRequests.add(request);
  }

  @Override
  public void finish(Finished finished) {
    this.finished = finished;
  }

  @Override
  public void refuse(Status status) {
    this.refused = status;
  }

  @Override
  public void whenGone(Runnable gone) {
    this.gone = gone;
  }

  /** The connection is lost. */
  void drop() {
    gone.run();
  }

  TrainRequest lastTrain() {
    return trainRequests.isEmpty() ? null : trainRequests.get(trainRequests.size() - 1);
  }
}
