package dev.flotilla.party.data;

/**
 * Resizes one channel plane separably (rows, then columns) with {@link DataOptions.Resize#AREA}
 * (each target pixel is the area-weighted mean of the source pixels it covers) or
 * {@link DataOptions.Resize#BILINEAR} (pixel centres aligned, edges clamped, as PyTorch's
 * {@code interpolate(..., align_corners=False)}).
 */
final class Resampler {
  private Resampler() {}

  /** {@code source} is {@code height x width}, row-major; the result {@code targetHeight x targetWidth}. */
  static float[] resize(float[] source, int height, int width, int targetHeight, int targetWidth,
      DataOptions.Resize method) {
    if (height == targetHeight && width == targetWidth) {
      return source;
    }
    Weights rows = Weights.of(height, targetHeight, method);
    Weights columns = Weights.of(width, targetWidth, method);
    float[] horizontal = new float[height * targetWidth];
    for (int y = 0; y < height; y++) {
      for (int tx = 0; tx < targetWidth; tx++) {
        double sum = 0;
        for (int k = columns.start[tx]; k < columns.start[tx + 1]; k++) {
          sum += columns.weight[k] * source[y * width + columns.index[k]];
        }
        horizontal[y * targetWidth + tx] = (float) sum;
      }
    }
    float[] result = new float[targetHeight * targetWidth];
    for (int ty = 0; ty < targetHeight; ty++) {
      for (int k = rows.start[ty]; k < rows.start[ty + 1]; k++) {
        float w = rows.weight[k];
        int base = rows.index[k] * targetWidth;
        for (int tx = 0; tx < targetWidth; tx++) {
          result[ty * targetWidth + tx] += w * horizontal[base + tx];
        }
      }
    }
    return result;
  }

  /** For every target position t, source indices index[start[t]..start[t+1]) with weights summing to 1. */
  private record Weights(int[] start, int[] index, float[] weight) {
    static Weights of(int size, int target, DataOptions.Resize method) {
      int[] start = new int[target + 1];
      int[] index = new int[target * (size / target + 3)];
      float[] weight = new float[index.length];
      int n = 0;
      double scale = (double) size / target;
      for (int t = 0; t < target; t++) {
        start[t] = n;
        if (method == DataOptions.Resize.AREA && scale > 1) {
          double from = t * scale;
          double to = (t + 1) * scale;
          for (int s = (int) Math.floor(from); s < Math.min(size, Math.ceil(to)); s++) {
            double overlap = Math.min(to, s + 1) - Math.max(from, s);
            if (overlap > 0) {
              index[n] = s;
              weight[n++] = (float) (overlap / scale);
            }
          }
        } else {
          // bilinear, and area when enlarging (where each target pixel covers part of one source pixel)
          double centre = Math.max(0, (t + 0.5) * scale - 0.5);
          int low = Math.min((int) Math.floor(centre), size - 1);
          int high = Math.min(low + 1, size - 1);
          double fraction = centre - low;
          index[n] = low;
          weight[n++] = (float) (1 - fraction);
          if (high != low && fraction > 0) {
            index[n] = high;
            weight[n++] = (float) fraction;
          }
        }
      }
      start[target] = n;
      return new Weights(start, index, weight);
    }
  }
}
