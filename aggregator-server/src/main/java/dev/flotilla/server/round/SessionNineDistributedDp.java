package dev.flotilla.server.round;

import dev.flotilla.server.aggregation.DistributedDpFedAvg;
import dev.flotilla.server.aggregation.Strategy;
import dev.flotilla.server.state.Checkpoint;

/**
 * Checkpoints of distributed-DP jobs written before the strategy was named {@value DistributedDpFedAvg#NAME}
 * (session 9): they record strategy {@code fedavg}, as that server ran FedAvg on the unmasked noised mean,
 * together with a privacy ledger, which no plain FedAvg job has (central DP was {@code dp-fedavg} from the start).
 * Such a checkpoint is the same job's state: FedAvg keeps no strategy state, and the ledger records every round.
 */
final class SessionNineDistributedDp {
  /** What such a checkpoint records: FedAvg's name. */
  static final String RECORDED = "fedavg";

  private SessionNineDistributedDp() {}

  /**
   * Whether {@code c} is such a checkpoint (and, with {@code running} given, resumes under it: distributed DP
   * runs now).
   */
  static boolean isOne(Checkpoint c, Strategy running) {
    boolean old = RECORDED.equals(c.strategy()) && c.privacy() != null && c.strategyState().isEmpty();
    return old && (running == null || DistributedDpFedAvg.NAME.equals(running.name()));
  }
}
