package dev.flotilla.server.aggregation;

import dev.flotilla.server.model.GlobalModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * DP-FedAvg with the noise added by the parties in shares under SecAgg+ (--dp-mode distributed). The parties
 * clip and noise, the aggregator unmasks the noised sum, and the round loop hands FedAvg the next model as one
 * update (SecureRounds.feedMean); this strategy is that FedAvg under the name of what runs, so the status, the
 * checkpoint and Join say {@value #NAME} rather than {@code fedavg} (central noise is {@link DpFedAvg#NAME}).
 */
public final class DistributedDpFedAvg implements Strategy {
  public static final String NAME = "dp-fedavg-distributed";

  private final FedAvg fedAvg = new FedAvg();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RoundAggregation begin(GlobalModel base, Path spillDirectory) throws IOException {
    return fedAvg.begin(base, spillDirectory);
  }
}
