package dev.flotilla.protocol.status;

import java.util.List;
import java.util.Map;

/**
 * An entry of the status file's {@code late_or_dropped}: who of a completed round (over all its
 * attempts) did not contribute, and why.
 *
 * @param parties the names, in order
 * @param reasons name -> "late", "dropped" or "rejected: " and the refusal's description
 */
public record LateOrDropped(int round, List<String> parties, Map<String, String> reasons) {

  /** The entry of a completed round. */
  public static LateOrDropped of(RoundRecord record) {
    return new LateOrDropped(record.round(), List.copyOf(record.lateOrDropped().keySet()), record.lateOrDropped());
  }
}
