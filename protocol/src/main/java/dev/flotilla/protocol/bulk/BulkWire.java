package dev.flotilla.protocol.bulk;

import dev.flotilla.protocol.tensor.TensorChunks;
import java.nio.charset.StandardCharsets;

/**
 * The bulk-upload port's byte layout (federation.proto, "BulkUpload"): a preamble with the magic,
 * the ticket and the update's header, length-prefixed data frames, an empty frame at the end; one
 * answer from the server. Integers are big-endian.
 */
public final class BulkWire {
  /** The capability a party announces at Join when it can upload on the bulk port. */
  public static final String CAPABILITY = "bulk-upload/1";
  public static final byte[] MAGIC = "FLB1".getBytes(StandardCharsets.US_ASCII);
  /** Tickets are 32 random bytes; anything longer than this is not one. */
  public static final int MAX_TICKET_BYTES = 64;
  /** A data frame carries at most what an UpdateChunk's data may: 1 MiB. */
  public static final int MAX_FRAME_BYTES = TensorChunks.MAX_CHUNK_BYTES;
  /** The answer's body: a SubmitUpdateResponse or a refusal's description, cut to this. */
  public static final int MAX_ANSWER_BYTES = 16 * 1024;
  /** Answer code of an accepted update (any other is the gRPC status code of the refusal). */
  public static final int OK = 0;

  private BulkWire() {}

  /** A refusal's description as sent: UTF-8, cut to {@link #MAX_ANSWER_BYTES}. */
  public static byte[] description(String text) {
    byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
    return bytes.length <= MAX_ANSWER_BYTES ? bytes : java.util.Arrays.copyOf(bytes, MAX_ANSWER_BYTES);
  }
}
