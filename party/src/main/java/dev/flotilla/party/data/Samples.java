package dev.flotilla.party.data;

/**
 * A party's labelled samples, whatever file format they came from: each sample is a fixed-shape
 * block of float features (already scaled the way the model expects, e.g. pixels in [0, 1] or
 * standardised columns) and one label (a class index, or the target of a regression). Readers
 * keep the data compact and convert one sample at a time, so a batch costs only its own floats.
 */
public interface Samples {

  /** Number of samples. */
  int size();

  /** The shape of one sample's features, e.g. [1, 28, 28] for a grey image or [30] for 30 columns. */
  long[] sampleShape();

  /** Features per sample: the product of {@link #sampleShape()}. */
  default int featuresPerSample() {
    long n = 1;
    for (long d : sampleShape()) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  /** Copies sample {@code index}'s features, row-major, into {@code target} at {@code offset}. */
  void copyFeatures(int index, float[] target, int offset);

  /** The label of sample {@code index}: a class index (as a float) or a regression target. */
  float label(int index);

  /** The class of sample {@code index} in a classification task: its label as an int. */
  default int classOf(int index) {
    return (int) label(index);
  }

  /** Classification (with its number of classes) or regression. */
  Task task();

  /** A new data set of the samples at {@code indices}, in that order. */
  Samples subset(int[] indices);

  /** The first {@code count} samples (all of them when there are fewer). */
  default Samples head(int count) {
    int n = Math.min(count, size());
    int[] indices = new int[n];
    for (int i = 0; i < n; i++) {
      indices[i] = i;
    }
    return subset(indices);
  }
}
