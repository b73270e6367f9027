package dev.flotilla.protocol.status;

/**
 * How the Shamir shares of a SecAgg+ round travelled (aggregator-server/README.md, "Secure aggregation"):
 * the operator's view of the peer mesh. With every peer endpoint reachable nothing is relayed.
 *
 * @param direct shares the senders said went party to party over the peer channel
 * @param relayed sealed shares the aggregator took to pass on (a neighbour without a reachable endpoint,
 *     or a party without --peer-port)
 */
public record ShareRoutes(int direct, int relayed) {

  /** As the demo and the CLI print it: {@code 12 party to party, 3 by the aggregator's relay}. */
  public String describe() {
    return direct + " party to party, " + relayed + " by the aggregator's relay";
  }
}
