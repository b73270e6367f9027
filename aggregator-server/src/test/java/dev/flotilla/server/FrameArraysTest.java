package dev.flotilla.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.bulk.BulkWire;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FrameArraysTest {

  @Test
  @DisplayName("at most capacity arrays belong to the pool, lent or free: beyond it take() lends none, and arrays given back are lent again")
  void lendsAtMostCapacityArrays() {
    FrameArrays pool = new FrameArrays(2);
    byte[] a = pool.take();
    byte[] b = pool.take();
    assertThat(a).hasSize(BulkWire.MAX_FRAME_BYTES);
    assertThat(a).isNotSameAs(b);
    assertThat(pool.take()).isNull();
    pool.giveBack(a);
    assertThat(pool.free()).isEqualTo(1);
    assertThat(pool.take()).isSameAs(a);
    assertThat(pool.owned()).isEqualTo(2);
  }

  @Test
  @DisplayName("arrays of a failed upload are forgotten: never lent again, and the pool may allocate as many anew")
  void forgottenArraysLeaveThePool() {
    FrameArrays pool = new FrameArrays(2);
    byte[] a = pool.take();
    byte[] b = pool.take();
    pool.forget(2);
    assertThat(pool.owned()).isZero();
    byte[] c = pool.take();
    byte[] d = pool.take();
    assertThat(c).isNotSameAs(a).isNotSameAs(b);
    assertThat(d).isNotSameAs(a).isNotSameAs(b).isNotSameAs(c);
    assertThat(pool.take()).isNull();
  }
}
