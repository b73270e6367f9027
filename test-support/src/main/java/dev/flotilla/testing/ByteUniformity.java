package dev.flotilla.testing;

import java.util.Arrays;

/** Pearson's chi-square statistic of byte values against the uniform distribution (what masked data must look like). */
public final class ByteUniformity {
  /** The chi-square quantile at p = 0.999 for 255 degrees of freedom. */
  public static final double CRITICAL_255 = 330.52;

  private ByteUniformity() {}

  public static double chiSquare(byte[] bytes) {
    long[] counts = new long[256];
    for (byte b : bytes) {
      counts[b & 0xff]++;
    }
    double expected = bytes.length / 256.0;
    return Arrays.stream(counts).mapToDouble(c -> (c - expected) * (c - expected) / expected).sum();
  }
}
