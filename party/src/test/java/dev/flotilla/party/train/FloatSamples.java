package dev.flotilla.party.train;

import dev.flotilla.party.data.Samples;
import dev.flotilla.party.data.Task;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Samples held as float arrays, for tests on small tabular data sets. */
record FloatSamples(float[][] features, float[] labels, Task task) implements Samples {
  static final Path SKLEARN_DATA = Path.of("/usr/lib/python3/dist-packages/sklearn/datasets/data");

  @Override
  public int size() {
    return labels.length;
  }

  @Override
  public long[] sampleShape() {
    return new long[] {features[0].length};
  }

  @Override
  public void copyFeatures(int index, float[] target, int offset) {
    System.arraycopy(features[index], 0, target, offset, features[index].length);
  }

  @Override
  public float label(int index) {
    return labels[index];
  }

  @Override
  public Samples subset(int[] indices) {
    float[][] f = new float[indices.length][];
    float[] l = new float[indices.length];
    for (int i = 0; i < indices.length; i++) {
      f[i] = features[indices[i]];
      l[i] = labels[indices[i]];
    }
    return new FloatSamples(f, l, task);
  }

  /** scikit-learn's diabetes regression set (442 patients, 10 columns), columns and target standardised. */
  static FloatSamples diabetes() throws IOException {
    float[][] x = standardise(readRows(SKLEARN_DATA.resolve("diabetes_data_raw.csv.gz")));
    float[][] y = standardise(readRows(SKLEARN_DATA.resolve("diabetes_target.csv.gz")));
    float[] target = new float[y.length];
    for (int i = 0; i < y.length; i++) {
      target[i] = y[i][0];
    }
    return new FloatSamples(x, target, Task.regression());
  }

  private static float[][] readRows(Path gz) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
      List<float[]> rows = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] cells = line.trim().split("[ ,]+");
        float[] row = new float[cells.length];
        for (int c = 0; c < cells.length; c++) {
          row[c] = Float.parseFloat(cells[c]);
        }
        rows.add(row);
      }
      return rows.toArray(new float[0][]);
    }
  }

  private static float[][] standardise(float[][] rows) {
    int columns = rows[0].length;
    for (int c = 0; c < columns; c++) {
      double sum = 0;
      double squares = 0;
      for (float[] row : rows) {
        sum += row[c];
        squares += row[c] * row[c];
      }
      double mean = sum / rows.length;
      double sd = Math.sqrt(Math.max(squares / rows.length - mean * mean, 1e-12));
      for (float[] row : rows) {
        row[c] = (float) ((row[c] - mean) / sd);
      }
    }
    return rows;
  }
}
