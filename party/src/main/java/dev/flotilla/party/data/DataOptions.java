package dev.flotilla.party.data;

import java.util.List;
import java.util.Locale;

/**
 * How a party reads its data: the command line's {@code --data-format}, {@code --label-column},
 * {@code --classes}, {@code --task}, {@code --input-shape} and {@code --resize}, in one value.
 *
 * @param format the format, or null to detect it from the path
 * @param labelColumn the CSV label column, or null for label/target/class (else the last column)
 * @param classes class names in class-index order, or empty (labels are then class indices 0..K-1)
 * @param task classification or regression, or null for the format's default (classification;
 *     arrays with float labels: regression)
 * @param inputShape channels, height and width images are converted to, or null when the data has no images
 * @param resize how images are resized to {@code inputShape}
 */
public record DataOptions(DataFormat format, String labelColumn, List<String> classes, TaskKind task,
    int[] inputShape, Resize resize) {

  public DataOptions {
    classes = classes == null ? List.of() : List.copyOf(classes);
    resize = resize == null ? Resize.AREA : resize;
    if (inputShape != null && (inputShape.length != 3 || inputShape[0] <= 0 || inputShape[1] <= 0 || inputShape[2] <= 0)) {
      throw new IllegalArgumentException("input shape must be CxHxW with positive sizes");
    }
  }

  /** Detect the format, default everything else. */
  public static DataOptions defaults() {
    return new DataOptions(null, null, List.of(), null, null, Resize.AREA);
  }

  public DataOptions withFormat(DataFormat value) {
    return new DataOptions(value, labelColumn, classes, task, inputShape, resize);
  }

  public DataOptions withLabelColumn(String value) {
    return new DataOptions(format, value, classes, task, inputShape, resize);
  }

  public DataOptions withClasses(List<String> value) {
    return new DataOptions(format, labelColumn, value, task, inputShape, resize);
  }

  public DataOptions withTask(TaskKind value) {
    return new DataOptions(format, labelColumn, classes, value, inputShape, resize);
  }

  public DataOptions withInputShape(int[] value) {
    return new DataOptions(format, labelColumn, classes, task, value, resize);
  }

  public DataOptions withResize(Resize value) {
    return new DataOptions(format, labelColumn, classes, task, inputShape, value);
  }

  /** {@code --task}. */
  public enum TaskKind {
    CLASSIFICATION,
    REGRESSION;

    public static TaskKind parse(String text) {
      return switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "classification" -> CLASSIFICATION;
        case "regression" -> REGRESSION;
        default -> throw new IllegalArgumentException("--task must be classification or regression, got '" + text + "'");
      };
    }
  }

  /** {@code --resize}: how an image is brought to the model's height and width. */
  public enum Resize {
    /** Each target pixel averages the source pixels it covers (by area); best for shrinking; enlarging is bilinear. */
    AREA,
    /** Each target pixel interpolates the four nearest source pixels; smoother when enlarging. */
    BILINEAR;

    public static Resize parse(String text) {
      return switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "area" -> AREA;
        case "bilinear" -> BILINEAR;
        default -> throw new IllegalArgumentException("--resize must be area or bilinear, got '" + text + "'");
      };
    }
  }

  /**
   * Parses {@code CxHxW} (e.g. 1x28x28 or 3x32x32); channels must be 1 (grey) or 3 (RGB).
   *
   * @throws IllegalArgumentException naming the accepted form
   */
  public static int[] parseInputShape(String text) {
    String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x");
    String usage = "; expected CxHxW with C 1 (grey) or 3 (RGB), e.g. 1x28x28 or 3x32x32";
    if (parts.length != 3) {
      throw new IllegalArgumentException("input shape '" + text + "'" + usage);
    }
    int[] shape = new int[3];
    for (int i = 0; i < 3; i++) {
      try {
        shape[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("input shape '" + text + "': '" + parts[i] + "' is not a number" + usage);
      }
    }
    if (shape[0] != 1 && shape[0] != 3) {
      throw new IllegalArgumentException("input shape '" + text + "': " + shape[0] + " channels" + usage);
    }
    if (shape[1] < 1 || shape[2] < 1 || shape[1] > DataLimits.MAX_IMAGE_SIDE || shape[2] > DataLimits.MAX_IMAGE_SIDE) {
      throw new IllegalArgumentException("input shape '" + text + "': height and width must be 1.."
          + DataLimits.MAX_IMAGE_SIDE + usage);
    }
    return shape;
  }
}
