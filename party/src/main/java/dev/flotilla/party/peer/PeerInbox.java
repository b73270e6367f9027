package dev.flotilla.party.peer;

import io.grpc.Status;
import io.grpc.StatusException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What other parties left for this one through {@code Peer.Exchange}, by round, sender and topic,
 * until the protocol that uses the channel takes it. Bounded, because every peer chooses what it
 * sends: a payload is at most {@link #MAX_PAYLOAD_BYTES}, a sender holds at most
 * {@link #MAX_MESSAGES_PER_SENDER} messages here and everyone together {@link #MAX_TOTAL_BYTES}.
 * Rounds the party has left behind are dropped ({@link #dropBefore}).
 */
public final class PeerInbox {
  public static final int MAX_PAYLOAD_BYTES = 64 * 1024;
  public static final int MAX_TOPIC_CHARS = 64;
  public static final int MAX_MESSAGES_PER_SENDER = 64;
  public static final long MAX_TOTAL_BYTES = 32L * 1024 * 1024;

  private record Key(int round, String sender, String topic) {}

  private final Map<Key, byte[]> messages = new HashMap<>();
  private final Map<String, Integer> countBySender = new HashMap<>();
  private long totalBytes;
  private int oldestRound = 1;

  /**
   * Keeps {@code payload} from {@code sender} (an identity URI taken from its certificate).
   *
   * @return the payload bytes held from this sender for this round, this one included
   * @throws StatusException INVALID_ARGUMENT, ALREADY_EXISTS or RESOURCE_EXHAUSTED, saying which bound was hit
   */
  public synchronized long put(String sender, int round, String topic, byte[] payload) throws StatusException {
    checkTopic(topic);
    if (round < 1) {
      throw invalid("round " + round + " is not a round (rounds start at 1)");
    }
    if (round < oldestRound) {
      throw Status.FAILED_PRECONDITION.withDescription("round " + round + " is over for this party (it is at round "
          + oldestRound + ")").asException();
    }
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw invalid("the payload is " + payload.length + " bytes, more than " + MAX_PAYLOAD_BYTES);
    }
    Key key = new Key(round, sender, topic);
    if (messages.containsKey(key)) {
      throw Status.ALREADY_EXISTS.withDescription("this party already holds the message of " + sender + " for round "
          + round + ", topic " + topic).asException();
    }
    int count = countBySender.getOrDefault(sender, 0);
    if (count >= MAX_MESSAGES_PER_SENDER) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("this party holds " + count + " messages of " + sender
          + ", as many as it keeps from one peer").asException();
    }
    if (totalBytes + payload.length > MAX_TOTAL_BYTES) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("this party holds " + totalBytes + " bytes of its peers' "
          + "messages; " + payload.length + " more would exceed " + MAX_TOTAL_BYTES).asException();
    }
    messages.put(key, payload.clone());
    countBySender.merge(sender, 1, Integer::sum);
    totalBytes += payload.length;
    return messages.entrySet().stream().filter(e -> e.getKey().round == round && e.getKey().sender.equals(sender))
        .mapToLong(e -> e.getValue().length).sum();
  }

  /** Takes (and forgets) what {@code sender} left for {@code round} under {@code topic}. */
  public synchronized Optional<byte[]> take(String sender, int round, String topic) {
    byte[] payload = messages.remove(new Key(round, sender, topic));
    if (payload == null) {
      return Optional.empty();
    }
    forget(sender, payload);
    return Optional.of(payload);
  }

  /** The party has moved on to {@code round}: what is held for earlier rounds goes, and no more is taken. */
  public synchronized void dropBefore(int round) {
    oldestRound = Math.max(oldestRound, round);
    var it = messages.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (e.getKey().round < oldestRound) {
        it.remove();
        forget(e.getKey().sender, e.getValue());
      }
    }
  }

  public synchronized long totalBytes() {
    return totalBytes;
  }

  private void forget(String sender, byte[] payload) {
    totalBytes -= payload.length;
    countBySender.computeIfPresent(sender, (s, n) -> n == 1 ? null : n - 1);
  }

  private static void checkTopic(String topic) throws StatusException {
    if (topic.isEmpty() || topic.length() > MAX_TOPIC_CHARS
        || !topic.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-')) {
      throw invalid("the topic must be 1.." + MAX_TOPIC_CHARS + " characters of [a-z0-9./-]");
    }
  }

  private static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
