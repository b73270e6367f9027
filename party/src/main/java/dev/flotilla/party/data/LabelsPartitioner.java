package dev.flotilla.party.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Pathological label skew: each party holds exactly K label classes. The classes are put in a
 * seeded random order and dealt round-robin, party p taking classes p*K .. p*K+K-1 (mod the class
 * count); a class held by several parties is shared among them in equal slices. The parts cover
 * the whole set when parties x K >= classes; otherwise the classes nobody draws are left out.
 */
public final class LabelsPartitioner implements Partitioner {
  private final int labelsPerParty;

  public LabelsPartitioner(int labelsPerParty) {
    if (labelsPerParty < 1) {
      throw new IllegalArgumentException("labels per party must be at least 1, got " + labelsPerParty);
    }
    this.labelsPerParty = labelsPerParty;
  }

  public int labelsPerParty() {
    return labelsPerParty;
  }

  @Override
  public List<int[]> split(Samples data, int parts, long seed) {
    Random random = new Random(seed);
    int classes = Partitioner.classesOf(data, describe());
    if (labelsPerParty > classes) {
      throw new IllegalArgumentException("labels:" + labelsPerParty + " asks for more classes than the "
          + classes + " the data set has");
    }
    int[] classOrder = Shuffles.permutation(classes, random);
    // holders[c] = the parties holding class c, in party order
    List<List<Integer>> holders = new ArrayList<>(classes);
    for (int c = 0; c < classes; c++) {
      holders.add(new ArrayList<>());
    }
    for (int p = 0; p < parts; p++) {
      for (int j = 0; j < labelsPerParty; j++) {
        holders.get(classOrder[(p * labelsPerParty + j) % classes]).add(p);
      }
    }
    int[][] byLabel = Shuffles.indicesByLabel(data, classes);
    List<List<Integer>> assigned = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      assigned.add(new ArrayList<>());
    }
    for (int c = 0; c < classes; c++) {
      List<Integer> owners = holders.get(c);
      if (owners.isEmpty()) {
        continue;
      }
      int[] members = byLabel[c].clone();
      Shuffles.shuffle(members, random);
      for (int s = 0; s < owners.size(); s++) {
        int from = (int) ((long) members.length * s / owners.size());
        int to = (int) ((long) members.length * (s + 1) / owners.size());
        for (int i = from; i < to; i++) {
          assigned.get(owners.get(s)).add(members[i]);
        }
      }
    }
    List<int[]> result = new ArrayList<>(parts);
    for (List<Integer> part : assigned) {
      int[] indices = part.stream().mapToInt(Integer::intValue).toArray();
      Arrays.sort(indices);
      result.add(indices);
    }
    return result;
  }

  @Override
  public String describe() {
    return "labels:" + labelsPerParty;
  }
}
