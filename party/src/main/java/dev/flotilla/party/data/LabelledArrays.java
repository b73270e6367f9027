package dev.flotilla.party.data;

import java.util.Arrays;

/** Features and labels from two arrays (NumPy or safetensors), checked against each other and the task. */
public final class LabelledArrays {

  private LabelledArrays() {}

  /** The training samples, and the test samples when the file has them (else null). */
  public record Split(Samples train, Samples test) {}

  /**
   * Samples from {@code x} (one row per sample) and {@code y} (one label per sample). The task is
   * {@code trainTask} when given (test arrays follow their training arrays), else {@code --task},
   * else classification for integer labels and regression for float labels.
   */
  static Samples samples(NpyFormat.NpyArray x, NpyFormat.NpyArray y, DataOptions options, Task trainTask) {
    if (x.shape().length == 0) {
      throw new BadDataException(x.source() + ": a scalar; features need one row per sample");
    }
    long rows = x.rows();
    if (rows > DataLimits.MAX_SAMPLES) {
      throw new BadDataException(x.source() + ": " + rows + " samples, more than " + DataLimits.MAX_SAMPLES);
    }
    boolean column = y.shape().length == 2 && y.shape()[1] == 1;
    if (!(y.shape().length == 1 || column) || y.rows() != rows) {
      throw new BadDataException(y.source() + ": shape " + Arrays.toString(y.shape()) + " does not give one label to each of the "
          + rows + " rows of " + x.source() + " (expected [" + rows + "] or [" + rows + ", 1])");
    }
    if (rows == 0) {
      throw new BadDataException(x.source() + ": no samples");
    }
    long[] sampleShape = x.shape().length == 1 ? new long[] {1} : Arrays.copyOfRange(x.shape(), 1, x.shape().length);
    for (long d : sampleShape) {
      if (d == 0) {
        throw new BadDataException(x.source() + ": shape " + Arrays.toString(x.shape()) + " has no features per sample");
      }
    }
    Task task = trainTask != null ? trainTask : task(y, options);
    float[] labels = new float[(int) rows];
    double largest = -1;
    for (int i = 0; i < rows; i++) {
      double value = y.element(i);
      if (!Double.isFinite(value) || Math.abs(value) > Float.MAX_VALUE) {
        throw new BadDataException(y.source() + " element " + i + ": " + value + " is not a finite float");
      }
      if (task instanceof Task.Classification) {
        if (value < 0 || value != Math.rint(value) || value >= DataLimits.MAX_CLASSES) {
          throw new BadDataException(y.source() + " element " + i + ": " + value + " is not a class index 0.."
              + (DataLimits.MAX_CLASSES - 1) + "; real-valued targets need --task regression");
        }
        largest = Math.max(largest, value);
      }
      labels[i] = (float) value;
    }
    if (task instanceof Task.Classification declared) {
      int classes = trainTask != null ? declared.classes()
          : options.classes().isEmpty() ? (int) Math.max(2, largest + 1) : options.classes().size();
      if (largest >= classes) {
        throw new BadDataException(y.source() + ": class " + (long) largest + " is not one of the " + classes
            + (trainTask != null ? " classes of the training arrays" : " classes of --classes"));
      }
      task = Task.classification(Math.max(2, classes));
    }
    return new ArraySamples(x.data(), x.order(), x.type(), sampleShape, labels, task);
  }

  private static Task task(NpyFormat.NpyArray y, DataOptions options) {
    if (options.task() == DataOptions.TaskKind.REGRESSION) {
      return Task.regression();
    }
    if (options.task() == DataOptions.TaskKind.CLASSIFICATION || y.type().integral() || !options.classes().isEmpty()) {
      return Task.classification(2); // the class count is settled from the labels
    }
    return Task.regression();
  }
}
