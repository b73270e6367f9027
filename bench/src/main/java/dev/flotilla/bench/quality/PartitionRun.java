package dev.flotilla.bench.quality;

/**
 * One partition's results: Flotilla against the plain PyTorch reference (the comparison the limit
 * applies to) and, when it was run, against the same reference with PyTorch's native convolution
 * kernels instead of oneDNN. The two references compute the same thing and differ only in rounding, so
 * how far apart they end up is how far rounding alone moves these curves.
 */
record PartitionRun(Comparison reference, Comparison nativeKernels) {

  String partition() {
    return reference.partition();
  }

  /** The two PyTorch references against each other: what float rounding alone moves the curve by. */
  Comparison referencesApart() {
    return nativeKernels == null ? null
        : new Comparison(partition(), reference.reference(), nativeKernels.reference(), reference.limitPoints());
  }
}
