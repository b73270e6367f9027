package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  @Test
  @DisplayName("a key queued many times while waiting is handled once; different keys are each handled")
  void deduplicates() throws Exception {
    List<String> handled = new CopyOnWriteArrayList<>();
    CountDownLatch gate = new CountDownLatch(1);
    try (WorkQueue q = new WorkQueue("test", key -> {
      if (key.equals("block")) {
        try {
          gate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      handled.add(key);
    })) {
      q.add("block");
      for (int i = 0; i < 50; i++) {
        q.add("ns/a");
      }
      q.add("ns/b");
      gate.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> handled.size() >= 3 && q.size() == 0);
      assertThat(handled).containsExactly("block", "ns/a", "ns/b");
    }
  }

  @Test
  @DisplayName("an earlier request wins over a later one for the same key, so a retry never delays an event")
  void earlierWins() {
    List<String> handled = new CopyOnWriteArrayList<>();
    try (WorkQueue q = new WorkQueue("test", handled::add)) {
      q.addAfter("ns/a", Duration.ofHours(1));
      q.add("ns/a");
      await().atMost(Duration.ofSeconds(10)).until(() -> handled.size() == 1);
      assertThat(q.size()).isZero();
    }
  }
}
