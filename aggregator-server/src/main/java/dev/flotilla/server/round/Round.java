package dev.flotilla.server.round;

import com.google.protobuf.ByteString;
import dev.flotilla.protocol.v1.TrainRequest;
import java.time.Instant;

/**
 * One attempt of one round: which round (1-based), which attempt of it (more than 1 when retried)
 * and until when updates are collected.
 */
public record Round(int number, int attempt, Instant deadline) {

  /**
   * What a participant is sent: train this round from the global model of {@code modelVersion},
   * whose values ride along when not empty (else the party fetches them).
   */
  TrainRequest trainRequest(long modelVersion, ByteString modelValues) {
    return TrainRequest.newBuilder()
        .setRound(number)
        .setModelVersion(modelVersion)
        .setDeadlineUnixMillis(deadline.toEpochMilli())
        .setAttempt(attempt)
        .setModelValues(modelValues)
        .build();
  }
}
