package dev.flotilla.party.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Rows of float features with one label each, as read from a CSV file (numeric columns and one-hot
 * categories) or from arrays. {@code standardisable[j]} marks the features that are measurements
 * (numeric columns), which {@link Standardisation} rescales; one-hot features stay 0/1.
 */
public final class TabularSamples implements Samples {
  private final float[] features;
  private final float[] labels;
  private final int width;
  private final Task task;
  private final List<String> featureNames;
  private final boolean[] standardisable;

  public TabularSamples(float[] features, float[] labels, Task task, List<String> featureNames,
      boolean[] standardisable) {
    this.features = Objects.requireNonNull(features, "features");
    this.labels = Objects.requireNonNull(labels, "labels");
    this.task = Objects.requireNonNull(task, "task");
    this.featureNames = List.copyOf(featureNames);
    this.width = featureNames.size();
    if (width == 0) {
      throw new IllegalArgumentException("no feature columns");
    }
    if (standardisable.length != width) {
      throw new IllegalArgumentException(standardisable.length + " standardisation flags for " + width + " features");
    }
    if ((long) labels.length * width != features.length) {
      throw new IllegalArgumentException(labels.length + " labels do not match " + features.length
          + " feature values of width " + width);
    }
    this.standardisable = standardisable.clone();
  }

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public long[] sampleShape() {
    return new long[] {width};
  }

  @Override
  public int featuresPerSample() {
    return width;
  }

  /** The name of every feature: a numeric column's name, or {@code column=category} for a one-hot feature. */
  public List<String> featureNames() {
    return featureNames;
  }

  /** Whether feature {@code j} is a measurement that standardisation rescales. */
  public boolean standardisable(int j) {
    return standardisable[j];
  }

  /** Feature {@code j} of sample {@code index}. */
  public float feature(int index, int j) {
    return features[index * width + j];
  }

  @Override
  public void copyFeatures(int index, float[] target, int offset) {
    System.arraycopy(features, Objects.checkIndex(index, labels.length) * width, target, offset, width);
  }

  @Override
  public float label(int index) {
    return labels[index];
  }

  @Override
  public Task task() {
    return task;
  }

  @Override
  public TabularSamples subset(int[] indices) {
    float[] subsetFeatures = new float[Math.multiplyExact(indices.length, width)];
    float[] subsetLabels = new float[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int index = Objects.checkIndex(indices[i], labels.length);
      System.arraycopy(features, index * width, subsetFeatures, i * width, width);
      subsetLabels[i] = labels[index];
    }
    return new TabularSamples(subsetFeatures, subsetLabels, task, featureNames, standardisable);
  }

  /** The same samples and labels with other feature values of the same width (standardised ones). */
  TabularSamples withFeatures(float[] newFeatures) {
    return new TabularSamples(newFeatures, labels, task, featureNames, standardisable);
  }

  float[] featureArray() {
    return features;
  }

  @Override
  public String toString() {
    return size() + " rows x " + width + " features " + Arrays.toString(featureNames.stream().limit(8).toArray())
        + (width > 8 ? "..." : "");
  }
}
