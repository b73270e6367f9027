package dev.flotilla.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.protocol.model.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillingControlVariatesTest {

  private static final List<TensorSpec> LAYOUT = List.of(new TensorSpec("w", new long[] {2, 3}),
      new TensorSpec("b", new long[] {2}));
  /** 8 floats: 32 bytes a party. */
  private static final long PARTY_BYTES = 32;

  private static float[][] values(float base) {
    return new float[][] {{base, base + 1, base + 2, base + 3, base + 4, base + 5}, {-base, base / 2}};
  }

  @Test
  void keepsOnTheHeapUpToTheBudgetAndTheRestOnDisk(@TempDir Path dir) throws Exception {
    SpillingControlVariates store = new SpillingControlVariates(2 * PARTY_BYTES, dir);
    store.save("sim.party-1", LAYOUT, values(1));
    store.save("sim.party-2", LAYOUT, values(2));
    store.save("sim.party-3", LAYOUT, values(3));
    assertThat(store.partiesInMemory()).isEqualTo(2);
    assertThat(store.bytesInMemory()).isEqualTo(2 * PARTY_BYTES);
    assertThat(store.partiesOnDisk()).isEqualTo(1);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("scaffold-c-sim.party-3.safetensors");
    }
    for (int p = 1; p <= 3; p++) {
      assertThat(store.load("sim.party-" + p, LAYOUT)).isDeepEqualTo(values(p));
    }
  }

  @Test
  void aPartyStaysWhereItStartedAndReplacingDoesNotGrowTheHeap(@TempDir Path dir) {
    SpillingControlVariates store = new SpillingControlVariates(PARTY_BYTES, dir);
    store.save("sim.party-1", LAYOUT, values(1));
    store.save("sim.party-2", LAYOUT, values(2));
    store.save("sim.party-1", LAYOUT, values(7));
    store.save("sim.party-2", LAYOUT, values(8));
    assertThat(store.bytesInMemory()).isEqualTo(PARTY_BYTES);
    assertThat(store.partiesInMemory()).isEqualTo(1);
    assertThat(store.partiesOnDisk()).isEqualTo(1);
    assertThat(store.load("sim.party-1", LAYOUT)).isDeepEqualTo(values(7));
    assertThat(store.load("sim.party-2", LAYOUT)).isDeepEqualTo(values(8));
  }

  @Test
  void aPartyWithoutOneStartsFromZeroAndALoadedCopyCannotChangeTheKeptOne(@TempDir Path dir) {
    SpillingControlVariates store = new SpillingControlVariates(PARTY_BYTES, dir);
    assertThat(store.load("sim.party-9", LAYOUT)).isDeepEqualTo(new float[][] {new float[6], new float[2]});
    store.save("sim.party-1", LAYOUT, values(1));
    store.load("sim.party-1", LAYOUT)[0][0] = 99;
    assertThat(store.load("sim.party-1", LAYOUT)).isDeepEqualTo(values(1));
  }
}
