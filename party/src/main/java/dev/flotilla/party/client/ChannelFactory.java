package dev.flotilla.party.client;

import io.grpc.ManagedChannel;

/** Opens a channel to the aggregator; one per connection attempt, closed by the caller. */
@FunctionalInterface
public interface ChannelFactory {
  ManagedChannel open();

  /** The bulk-upload side of the aggregator, or null when this party does not use it (--no-bulk-upload). */
  default BulkUploader bulkUploads() {
    return null;
  }

  /**
   * What binds this party's SecAgg+ round keys to its TLS identity and checks the other parties' (from the same
   * files as its channels); null only for an in-process party, which has no TLS identity.
   */
  default dev.flotilla.protocol.secagg.RoundKeyBinding keyBinding() {
    return null;
  }

  /** Where the channel goes, for log lines and error messages. */
  default String describe() {
    return "the aggregator";
  }
}
