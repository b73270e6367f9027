package dev.flotilla.party.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PeerInboxTest {
  private static final String BOB = "spiffe://example.org/job/job1/party/bob";
  private final PeerInbox inbox = new PeerInbox();

  private static Status.Code codeOf(Throwable t) {
    return ((StatusException) t).getStatus().getCode();
  }

  @Test
  @DisplayName("a payload is kept by sender, round and topic, taken once, and the held bytes go down again")
  void putAndTake() throws Exception {
    assertThat(inbox.put(BOB, 3, "secagg/keys", new byte[] {1, 2, 3})).isEqualTo(3);
    assertThat(inbox.put(BOB, 3, "secagg/shares", new byte[] {4})).isEqualTo(4);
    assertThat(inbox.take(BOB, 3, "secagg/keys")).hasValueSatisfying(p -> assertThat(p).containsExactly(1, 2, 3));
    assertThat(inbox.take(BOB, 3, "secagg/keys")).isEmpty();
    assertThat(inbox.totalBytes()).isEqualTo(1);
  }

  @Test
  @DisplayName("a second message of the same sender, round and topic is refused with ALREADY_EXISTS")
  void duplicateRefused() throws Exception {
    inbox.put(BOB, 1, "t", new byte[1]);
    assertThatThrownBy(() -> inbox.put(BOB, 1, "t", new byte[1]))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(Status.Code.ALREADY_EXISTS));
  }

  @Test
  @DisplayName("a payload above 64 KiB, a bad topic or round 0: INVALID_ARGUMENT; 64 KiB exactly is kept")
  void bounds() throws Exception {
    assertThat(inbox.put(BOB, 1, "t", new byte[PeerInbox.MAX_PAYLOAD_BYTES])).isEqualTo(65536);
    assertThatThrownBy(() -> inbox.put(BOB, 1, "u", new byte[PeerInbox.MAX_PAYLOAD_BYTES + 1]))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .hasMessageContaining("the payload is 65537 bytes, more than 65536");
    assertThatThrownBy(() -> inbox.put(BOB, 1, "T", new byte[1])).hasMessageContaining("[a-z0-9./-]");
    assertThatThrownBy(() -> inbox.put(BOB, 1, "a".repeat(65), new byte[1])).hasMessageContaining("1..64 characters");
    assertThatThrownBy(() -> inbox.put(BOB, 0, "t", new byte[1])).hasMessageContaining("rounds start at 1");
  }

  @Test
  @DisplayName("one sender holds at most 64 messages; the 65th is RESOURCE_EXHAUSTED, another sender still gets in")
  void perSenderBound() throws Exception {
    for (int i = 0; i < PeerInbox.MAX_MESSAGES_PER_SENDER; i++) {
      inbox.put(BOB, 1, "t" + i, new byte[1]);
    }
    assertThatThrownBy(() -> inbox.put(BOB, 1, "last", new byte[1]))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .hasMessageContaining("holds 64 messages of " + BOB);
    assertThat(inbox.put("spiffe://example.org/job/job1/party/carol", 1, "t", new byte[1])).isEqualTo(1);
  }

  @Test
  @DisplayName("all senders together hold at most 32 MiB")
  void totalBound() throws Exception {
    int senders = (int) (PeerInbox.MAX_TOTAL_BYTES / PeerInbox.MAX_PAYLOAD_BYTES / PeerInbox.MAX_MESSAGES_PER_SENDER);
    for (int s = 0; s < senders; s++) {
      for (int i = 0; i < PeerInbox.MAX_MESSAGES_PER_SENDER; i++) {
        inbox.put("spiffe://example.org/job/job1/party/p" + s, 1, "t" + i, new byte[PeerInbox.MAX_PAYLOAD_BYTES]);
      }
    }
    assertThat(inbox.totalBytes()).isEqualTo(PeerInbox.MAX_TOTAL_BYTES);
    assertThatThrownBy(() -> inbox.put(BOB, 1, "t", new byte[1]))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .hasMessageContaining("1 more would exceed 33554432");
  }

  @Test
  @DisplayName("moving on to a round drops what earlier rounds hold and refuses messages for them (FAILED_PRECONDITION)")
  void dropBefore() throws Exception {
    inbox.put(BOB, 1, "t", new byte[10]);
    inbox.put(BOB, 2, "t", new byte[20]);
    inbox.dropBefore(2);
    assertThat(inbox.totalBytes()).isEqualTo(20);
    assertThat(inbox.take(BOB, 1, "t")).isEmpty();
    assertThatThrownBy(() -> inbox.put(BOB, 1, "u", new byte[1]))
        .satisfies(e -> assertThat(codeOf(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }
}
