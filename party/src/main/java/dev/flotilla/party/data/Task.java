package dev.flotilla.party.data;

/**
 * What a model learns from a data set's labels: a class out of {@code classes} (cross-entropy,
 * accuracy) or a real number (mean squared error, R²).
 */
public sealed interface Task {

  /** Labels are class indices 0..classes-1. */
  record Classification(int classes) implements Task {
    public Classification {
      if (classes < 2) {
        throw new IllegalArgumentException("a classification task needs at least 2 classes, got " + classes);
      }
    }
  }

  /** Labels are real-valued targets. */
  record Regression() implements Task {}

  static Task classification(int classes) {
    return new Classification(classes);
  }

  static Task regression() {
    return new Regression();
  }
}
