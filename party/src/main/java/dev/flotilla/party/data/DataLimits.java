package dev.flotilla.party.data;

/**
 * Bounds every reader checks before it spends memory on what a file declares: data files are
 * hostile input like anything else that crosses into the party. The caps are far above real data
 * sets and far below what would exhaust the JVM.
 */
public final class DataLimits {
  /** Bytes of one CSV line, the line break excluded. */
  public static final int MAX_LINE_BYTES = 1 << 20;
  /** Columns of a CSV file. */
  public static final int MAX_COLUMNS = 100_000;
  /** Distinct values of one categorical CSV column (its one-hot width). */
  public static final int MAX_CATEGORIES = 10_000;
  /** Samples (CSV rows, images, array rows) in one file or folder. */
  public static final int MAX_SAMPLES = 50_000_000;
  /** Width or height of an image, read from its header before it is decoded. */
  public static final int MAX_IMAGE_SIDE = 16_384;
  /** Pixels of one image (width x height), read from its header before it is decoded. */
  public static final long MAX_IMAGE_PIXELS = 50_000_000L;
  /** Bytes of one image file. */
  public static final long MAX_IMAGE_FILE_BYTES = 256L << 20;
  /** Bytes of a .npy header. */
  public static final int MAX_NPY_HEADER_BYTES = 1 << 16;
  /** Elements of one array held in memory (a Java array's limit, with headroom). */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
  /** Classes of a classification task. */
  public static final int MAX_CLASSES = 100_000;

  private DataLimits() {}
}
