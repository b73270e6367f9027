package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusException;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UploadTicketsTest {

  private static final Instant NOW = Instant.parse("2026-12-05T06:00:00Z");
  private static final Round ROUND_3 = new Round(3, 2, NOW.plusSeconds(60));

  private static Status.Code code(ThrowingRedeem call) {
    try {
      call.run();
      throw new AssertionError("the ticket was accepted");
    } catch (StatusException e) {
      return e.getStatus().getCode();
    }
  }

  @FunctionalInterface
  private interface ThrowingRedeem {
    void run() throws StatusException;
  }

  @Test
  @DisplayName("a ticket is 32 random bytes bound to its party, round and attempt, and can be used once")
  void ownTicketOnce() throws Exception {
    UploadTickets tickets = new UploadTickets("job-1");
    ByteString alice = tickets.issue("alice", ROUND_3);
    ByteString bob = tickets.issue("bob", ROUND_3);
    assertThat(alice.size()).isEqualTo(32);
    assertThat(alice).isNotEqualTo(bob);

    assertThat(tickets.redeem(alice, "alice", NOW))
        .isEqualTo(new UploadTickets.Ticket("alice", 3, 2, NOW.plusSeconds(60)));
    assertThatThrownBy(() -> tickets.redeem(alice, "alice", NOW))
        .isInstanceOf(StatusException.class)
        .hasMessage("PERMISSION_DENIED: bulk-upload ticket of party 'alice' refused: job job-1 never issued it, it "
            + "was used already, or its round attempt is over");
  }

  @Test
  @DisplayName("another party's ticket is refused with a message naming the connection's identity, and stays its owner's")
  void anotherPartysTicket() throws Exception {
    UploadTickets tickets = new UploadTickets("job-1");
    ByteString alice = tickets.issue("alice", ROUND_3);

    assertThatThrownBy(() -> tickets.redeem(alice, "mallory", NOW))
        .isInstanceOf(StatusException.class)
        .hasMessage("PERMISSION_DENIED: bulk-upload ticket refused: it was issued to another party of job job-1, not "
            + "to 'mallory' (the identity of this TLS connection)");
    assertThat(tickets.redeem(alice, "alice", NOW).party()).isEqualTo("alice");
  }

  @Test
  @DisplayName("a ticket past its round's deadline, or of an earlier attempt, is refused")
  void expiredAndVoided() throws Exception {
    UploadTickets tickets = new UploadTickets("job-1");
    ByteString late = tickets.issue("alice", ROUND_3);
    assertThatThrownBy(() -> tickets.redeem(late, "alice", NOW.plusSeconds(60)))
        .isInstanceOf(StatusException.class)
        .hasMessage("DEADLINE_EXCEEDED: bulk-upload ticket of party 'alice' for round 3 expired at "
            + NOW.plusSeconds(60) + " (the round's deadline)");

    ByteString voided = tickets.issue("bob", ROUND_3);
    tickets.startAttempt();
    assertThat(code(() -> tickets.redeem(voided, "bob", NOW))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(() -> tickets.redeem(ByteString.copyFromUtf8("made up"), "bob", NOW)))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  @DisplayName("tickets are offered only once a bulk port is open")
  void offeredPort() {
    UploadTickets tickets = new UploadTickets("job-1");
    assertThat(tickets.port()).isZero();
    tickets.offer(8444);
    assertThat(tickets.port()).isEqualTo(8444);
  }
}
