package dev.flotilla.server.round;

import dev.flotilla.protocol.v1.RoundEvent;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A party holding a slot in the job. Guarded by the coordinator's lock. */
final class Party {

  private static final Logger log = LoggerFactory.getLogger(Party.class);

  final String jobId;
  final String name;
  final int index;
  /** The count announced at its last Join: the most an update of it may claim. */
  long numSamples;
  /** Its live Rounds stream, or null while it is gone. */
  ServerCallStreamObserver<RoundEvent> stream;
  /** Since when it has had no live Rounds stream (join, disconnect or server start); null while connected. */
  Instant goneSince;

  Party(String jobId, String name, int index, long numSamples, Instant goneSince) {
    this.jobId = jobId;
    this.name = name;
    this.index = index;
    this.numSamples = numSamples;
    this.goneSince = goneSince;
  }

  boolean connected() {
    return stream != null;
  }

  void send(RoundEvent event) {
    if (stream == null) {
      return;
    }
    try {
      stream.onNext(event);
    } catch (RuntimeException e) {
      // the stream died between the check and the send; its cancel handler marks the party gone
      log.warn("job {}: cannot send to party {}: {}", jobId, name, e.toString());
    }
  }
}
