package dev.flotilla.party.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a party learnt from its training CSV file and applies to every file it reads after it (its
 * test file): the columns, which is the label, which features are numeric and which categorical
 * (with their categories, sorted, so parties with the same categories one-hot them the same way),
 * and the task.
 *
 * @param trainingFile the file the schema was learnt from, for messages
 * @param header the column names, in the training file's order
 * @param labelIndex the label column's position in {@code header}
 * @param features the feature columns, in header order
 * @param task classification (with its class count) or regression
 * @param classNames the class names of {@code --classes}, or empty when labels are class indices
 */
public record CsvSchema(Path trainingFile, List<String> header, int labelIndex, List<Column> features, Task task,
    List<String> classNames) {

  public CsvSchema {
    header = List.copyOf(header);
    features = List.copyOf(features);
    classNames = List.copyOf(classNames);
  }

  /** A feature column, found by its name in every file read with the schema. */
  public sealed interface Column {
    String name();

    /** Features it becomes: 1 for a number, one per category for a categorical column. */
    int width();
  }

  /** A numeric column: one standardised feature. */
  public record Numeric(String name) implements Column {
    @Override
    public int width() {
      return 1;
    }
  }

  /** A non-numeric column: one 0/1 feature per category, categories sorted. */
  public record Categorical(String name, List<String> categories) implements Column {
    public Categorical {
      categories = List.copyOf(categories);
    }

    @Override
    public int width() {
      return categories.size();
    }
  }

  public String labelName() {
    return header.get(labelIndex);
  }

  /** Features per row after one-hot encoding. */
  public int width() {
    int width = 0;
    for (Column column : features) {
      width += column.width();
    }
    return width;
  }

  /** The name of every encoded feature, e.g. "age" or "colour=red". */
  public List<String> featureNames() {
    List<String> names = new ArrayList<>();
    for (Column column : features) {
      if (column instanceof Categorical categorical) {
        for (String category : categorical.categories()) {
          names.add(categorical.name() + "=" + category);
        }
      } else {
        names.add(column.name());
      }
    }
    return names;
  }

  /** Which encoded features are numeric (standardised), in feature order. */
  public boolean[] numericFeatures() {
    boolean[] numeric = new boolean[width()];
    int j = 0;
    for (Column column : features) {
      if (column instanceof Numeric) {
        numeric[j] = true;
      }
      j += column.width();
    }
    return numeric;
  }

  /** One line for the party's log. */
  public String describe() {
    long numeric = features.stream().filter(c -> c instanceof Numeric).count();
    String labels = task instanceof Task.Classification c
        ? c.classes() + " classes" + (classNames.isEmpty() ? "" : " " + classNames)
        : "regression";
    return String.format("label column '%s' (%s); %d numeric and %d categorical columns -> %d features",
        labelName(), labels, numeric, features.size() - numeric, width());
  }
}
