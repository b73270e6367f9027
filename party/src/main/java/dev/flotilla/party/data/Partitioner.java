package dev.flotilla.party.data;

import java.util.List;
import java.util.Locale;

/**
 * Splits a data set among {@code parts} parties. Every party computes the same split from the same
 * seed and keeps its own slice, so the slices are disjoint without any coordination.
 */
public interface Partitioner {

  /** The sample indices of every part, each sorted ascending; parts are disjoint. */
  List<int[]> split(Samples data, int parts, long seed);

  /** The spelling accepted by {@link #parse}, for logs. */
  String describe();

  /** The indices of part {@code index} of {@code parts}. */
  default int[] part(Samples data, int index, int parts, long seed) {
    if (parts < 1) {
      throw new IllegalArgumentException("--partition-count must be at least 1, got " + parts);
    }
    if (index < 0 || index >= parts) {
      throw new IllegalArgumentException(
          "--partition-index must be in [0, " + parts + "), got " + index);
    }
    return split(data, parts, seed).get(index);
  }

  /**
   * The class count of a classification data set, for the schemes that deal out classes.
   *
   * @throws IllegalArgumentException for a regression data set, naming the scheme that does work
   */
  static int classesOf(Samples data, String scheme) {
    if (data.task() instanceof Task.Classification classification) {
      return classification.classes();
    }
    throw new IllegalArgumentException("partition " + scheme + " deals out classes, but the data is a regression "
        + "task; use --partition iid");
  }

  /**
   * Parses {@code iid}, {@code dirichlet:ALPHA} (ALPHA > 0; smaller is more skewed) or
   * {@code labels:K} (each party holds K label classes).
   *
   * @throws IllegalArgumentException with a message naming the accepted forms
   */
  static Partitioner parse(String spec) {
    String text = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
    String usage = "; expected iid, dirichlet:ALPHA (ALPHA > 0, e.g. dirichlet:0.5) or labels:K (K >= 1, e.g. labels:2)";
    if (text.equals("iid")) {
      return new IidPartitioner();
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("unknown partition '" + spec + "'" + usage);
    }
    String kind = text.substring(0, colon);
    String argument = text.substring(colon + 1);
    switch (kind) {
      case "dirichlet" -> {
        double alpha;
        try {
          alpha = Double.parseDouble(argument);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("partition '" + spec + "': ALPHA '" + argument + "' is not a number" + usage);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
          throw new IllegalArgumentException("partition '" + spec + "': ALPHA must be a positive finite number" + usage);
        }
        return new DirichletPartitioner(alpha);
      }
      case "labels" -> {
        int k;
        try {
          k = Integer.parseInt(argument);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("partition '" + spec + "': K '" + argument + "' is not an integer" + usage);
        }
        if (k < 1) {
          throw new IllegalArgumentException("partition '" + spec + "': K must be at least 1" + usage);
        }
        return new LabelsPartitioner(k);
      }
      default -> throw new IllegalArgumentException("unknown partition '" + spec + "'" + usage);
    }
  }
}
