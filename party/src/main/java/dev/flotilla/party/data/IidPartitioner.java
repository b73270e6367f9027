package dev.flotilla.party.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** A seeded shuffle cut into near-equal parts: every part sees the same label distribution. */
public final class IidPartitioner implements Partitioner {

  @Override
  public List<int[]> split(Samples data, int parts, long seed) {
    int n = data.size();
    int[] order = Shuffles.permutation(n, new Random(seed));
    List<int[]> result = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      int from = (int) ((long) n * p / parts);
      int to = (int) ((long) n * (p + 1) / parts);
      int[] part = Arrays.copyOfRange(order, from, to);
      Arrays.sort(part);
      result.add(part);
    }
    return result;
  }

  @Override
  public String describe() {
    return "iid";
  }
}
