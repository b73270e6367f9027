package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.bulk.BulkWire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FramePoolTest {

  @Test
  @DisplayName("frame arrays given back are handed out again, at most capacity of them are kept, and foreign sizes never")
  void reusesAtMostCapacityArrays() {
    FramePool pool = new FramePool(2);
    byte[] a = pool.take();
    byte[] b = pool.take();
    byte[] c = pool.take();
    assertThat(a).hasSize(BulkWire.MAX_FRAME_BYTES);
    assertThat(a).isNotSameAs(b);
    pool.giveBack(a);
    pool.giveBack(b);
    pool.giveBack(c);
    pool.giveBack(new byte[16]);
    assertThat(pool.free()).isEqualTo(2);
    byte[] again = pool.take();
    assertThat(again == a || again == b).isTrue();
    assertThat(pool.free()).isEqualTo(1);
  }
}
