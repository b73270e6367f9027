package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import java.util.Iterator;

/**
 * What the parties of a {@link PartyFleet} announce, upload and check in what they fetch: the
 * benchmark's parties all send one mapped update ({@link MappedUpdate}); a test's parties send
 * values it can predict and check the global model they receive.
 */
interface FleetScript {

  /** Samples party {@code party} (its position in the fleet) announces at Join and claims in every update. */
  long samples(int party);

  /**
   * The data chunks of the party's update in {@code round}: float32 little-endian values in the
   * model's layout order, at most {@code TensorChunks.MAX_CHUNK_BYTES} each, made as they are sent.
   */
  Iterator<ByteString> update(int party, int round);

  /**
   * A data chunk the party fetched in {@code round}, starting at byte {@code offset} of the model's
   * values; throws if it is not what the party expects (the fleet then fails the job).
   */
  default void fetched(int party, int round, long offset, ByteString data) {}
}
