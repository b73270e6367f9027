package dev.flotilla.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class UploadPermitsTest {

  @Test
  @DisplayName("permits are granted at once while free, then in arrival order as holders release them")
  void arrivalOrder() {
    UploadPermits permits = new UploadPermits(2);
    List<String> granted = new ArrayList<>();
    UploadPermits.Permit a = permits.request(() -> granted.add("a"));
    UploadPermits.Permit b = permits.request(() -> granted.add("b"));
    UploadPermits.Permit c = permits.request(() -> granted.add("c"));
    UploadPermits.Permit d = permits.request(() -> granted.add("d"));
    assertThat(granted).containsExactly("a", "b");
    assertThat(permits.inUse()).isEqualTo(2);
    assertThat(permits.waiting()).isEqualTo(2);
    assertThat(c.granted()).isFalse();

    b.release();
    assertThat(granted).containsExactly("a", "b", "c");
    assertThat(c.granted()).isTrue();
    a.release();
    assertThat(granted).containsExactly("a", "b", "c", "d");
    c.release();
    d.release();
    assertThat(permits.inUse()).isZero();
    assertThat(permits.waiting()).isZero();
  }

  @Test
  @DisplayName("a stream that ends while waiting leaves the queue and is never granted; a second release does nothing")
  void releaseWhileWaiting() {
    UploadPermits permits = new UploadPermits(1);
    List<String> granted = new ArrayList<>();
    UploadPermits.Permit a = permits.request(() -> granted.add("a"));
    UploadPermits.Permit b = permits.request(() -> granted.add("b"));
    UploadPermits.Permit c = permits.request(() -> granted.add("c"));
    b.release();
    a.release();
    a.release();
    assertThat(granted).containsExactly("a", "c");
    assertThat(permits.inUse()).isEqualTo(1);
    c.release();
    assertThat(permits.inUse()).isZero();
    UploadPermits.Permit e = permits.request(() -> granted.add("e"));
    assertThat(e.granted()).isTrue();
  }

  @Test
  @DisplayName("the grant callback of a waiting stream runs on the releasing thread, outside the lock")
  void grantOutsideLock() {
    UploadPermits permits = new UploadPermits(1);
    UploadPermits.Permit a = permits.request(() -> {});
    boolean[] lockFree = new boolean[1];
    permits.request(() -> lockFree[0] = !Thread.holdsLock(permits));
    a.release();
    assertThat(lockFree[0]).isTrue();
  }

  @Test
  @DisplayName("by default as many uploads as 16 GiB of spool hold for the model, at least 4; a configured count wins")
  void sizedByTheModel() {
    assertThat(UploadPermits.forModel(0, 1L << 30).permits()).isEqualTo(16);
    assertThat(UploadPermits.forModel(0, 1L << 20).permits()).isEqualTo(16384);
    assertThat(UploadPermits.forModel(0, 8L << 30).permits()).isEqualTo(4);
    assertThat(UploadPermits.forModel(0, 3).permits()).isEqualTo(Integer.MAX_VALUE);
    assertThat(UploadPermits.forModel(3, 1L << 20).permits()).isEqualTo(3);
  }

  @Test
  @DisplayName("fewer than one permit is refused with the flag's name")
  void refusesZero() {
    assertThatThrownBy(() -> new UploadPermits(0)).hasMessageContaining("--max-concurrent-uploads must be >= 1");
  }
}
