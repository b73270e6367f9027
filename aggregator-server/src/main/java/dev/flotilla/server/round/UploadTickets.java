package dev.flotilla.server.round;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * One-time tickets for the bulk-upload port: 32 random bytes handed to a participant in its
 * TrainRequest, bound to the job, the party's identity, the round and its attempt, valid until the
 * attempt's deadline. A new attempt voids the tickets of the last one. Guarded by the job's lock.
 */
final class UploadTickets {

  static final int TICKET_BYTES = 32;

  /** What a ticket allows: one upload by {@code party} into this attempt of {@code round}. */
  record Ticket(String party, int round, int attempt, Instant expires) {}

  private final String jobId;
  private final SecureRandom random = new SecureRandom();
  private final Map<ByteString, Ticket> issued = new HashMap<>();
  /** The bulk port parties are offered, 0 while there is none. */
  private int port;

  UploadTickets(String jobId) {
    this.jobId = jobId;
  }

  void offer(int port) {
    this.port = port;
  }

  int port() {
    return port;
  }

  /** Tickets of earlier attempts are void from now on. */
  void startAttempt() {
    issued.clear();
  }

  ByteString issue(String party, Round round) {
    byte[] bytes = new byte[TICKET_BYTES];
    random.nextBytes(bytes);
    ByteString ticket = ByteString.copyFrom(bytes);
    issued.put(ticket, new Ticket(party, round.number(), round.attempt(), round.deadline()));
    return ticket;
  }

  /**
   * Takes the ticket presented by {@code peer} (the identity of the TLS connection it came on):
   * used up when it is the peer's own and valid; another party's ticket is refused and stays the
   * owner's.
   */
  Ticket redeem(ByteString ticket, String peer, Instant now) throws StatusException {
    Ticket t = issued.get(ticket);
    if (t == null) {
      throw Status.PERMISSION_DENIED.withDescription("bulk-upload ticket of party '" + peer + "' refused: job "
          + jobId + " never issued it, it was used already, or its round attempt is over").asException();
    }
    if (!t.party().equals(peer)) {
      throw Status.PERMISSION_DENIED.withDescription("bulk-upload ticket refused: it was issued to another party "
          + "of job " + jobId + ", not to '" + peer + "' (the identity of this TLS connection)").asException();
    }
    issued.remove(ticket);
    if (!now.isBefore(t.expires())) {
      throw Status.DEADLINE_EXCEEDED.withDescription("bulk-upload ticket of party '" + peer + "' for round "
          + t.round() + " expired at " + t.expires() + " (the round's deadline)").asException();
    }
    return t;
  }
}
