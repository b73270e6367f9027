package dev.flotilla.party.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * CSV files with a header row. {@link #learn} reads the party's training file to decide the schema
 * (label column, numeric and categorical columns, categories, classes); {@link #read} encodes any
 * file of that schema (the training file itself, the test file) into {@link TabularSamples}:
 * numeric columns as numbers (standardised later, with the training rows' statistics), categorical
 * columns one-hot. Every refusal names the file, the line, the column and the value.
 */
public final class CsvReader {
  private static final List<String> DEFAULT_LABEL_NAMES = List.of("label", "target", "class");
  // strict decimal numbers: Double.parseDouble would also take "NaN", "Infinity", "1d" or hex
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  private CsvReader() {}

  /** Learns the schema of a training file (two passes: column kinds and labels, then categories). */
  public static CsvSchema learn(Path file, DataOptions options) {
    List<String> header;
    int labelIndex;
    boolean[] numeric;
    long[] firstTextLine;
    String[] firstText;
    int rows = 0;
    TreeSet<Long> integerLabels = new TreeSet<>();
    boolean regression = options.task() == DataOptions.TaskKind.REGRESSION;
    Map<String, Integer> classIndex = classIndex(options.classes());
    if (regression && !classIndex.isEmpty()) {
      throw new IllegalArgumentException("--classes names classes, which a regression task (--task regression) has none of");
    }
    try (CsvLines lines = CsvLines.open(file)) {
      header = readHeader(lines);
      labelIndex = labelIndex(file, header, options.labelColumn());
      int columns = header.size();
      numeric = new boolean[columns];
      java.util.Arrays.fill(numeric, true);
      firstTextLine = new long[columns];
      firstText = new String[columns];
      List<String> fields;
      while ((fields = lines.next()) != null) {
        checkWidth(lines, fields, columns);
        if (++rows > DataLimits.MAX_SAMPLES) {
          throw new BadDataException(file + ": more than " + DataLimits.MAX_SAMPLES + " rows");
        }
        for (int c = 0; c < columns; c++) {
          if (c == labelIndex) {
            continue;
          }
          String value = fields.get(c);
          if (value.isEmpty()) {
            throw missing(lines, header.get(c));
          }
          if (numeric[c] && !isNumber(value)) {
            numeric[c] = false;
            firstTextLine[c] = lines.lineNumber();
            firstText[c] = value;
          }
        }
        String label = fields.get(labelIndex);
        if (label.isEmpty()) {
          throw missing(lines, header.get(labelIndex));
        }
        if (regression) {
          parseNumber(lines, header.get(labelIndex), label);
        } else if (classIndex.isEmpty()) {
          integerLabels.add(classIndexLabel(lines, header.get(labelIndex), label));
        } else if (!classIndex.containsKey(label)) {
          throw unknownClass(lines, header.get(labelIndex), label, options.classes());
        }
      }
    }
    if (rows == 0) {
      throw new BadDataException(file + ": no data rows after the header");
    }
    Task task;
    if (regression) {
      task = Task.regression();
    } else if (!classIndex.isEmpty()) {
      task = Task.classification(Math.max(2, options.classes().size()));
    } else {
      long largest = integerLabels.last();
      task = Task.classification((int) Math.max(2, largest + 1));
    }
    // second pass: the categories of the non-numeric columns, bounded
    List<Set<String>> categories = new ArrayList<>();
    for (int c = 0; c < header.size(); c++) {
      categories.add(numeric[c] || c == labelIndex ? null : new TreeSet<>());
    }
    try (CsvLines lines = CsvLines.open(file)) {
      lines.next();
      List<String> fields;
      while ((fields = lines.next()) != null) {
        for (int c = 0; c < header.size(); c++) {
          Set<String> set = categories.get(c);
          if (set != null && set.add(fields.get(c)) && set.size() > DataLimits.MAX_CATEGORIES) {
            throw new BadDataException(file + " column '" + header.get(c) + "': more than " + DataLimits.MAX_CATEGORIES
                + " distinct non-numeric values (first non-number '" + firstText[c] + "' on line " + firstTextLine[c]
                + "); an identifier or free text is not a category: drop the column");
          }
        }
      }
    }
    List<CsvSchema.Column> features = new ArrayList<>();
    long width = 0;
    for (int c = 0; c < header.size(); c++) {
      if (c == labelIndex) {
        continue;
      }
      CsvSchema.Column column = numeric[c]
          ? new CsvSchema.Numeric(header.get(c))
          : new CsvSchema.Categorical(header.get(c), new ArrayList<>(categories.get(c)));
      width += column.width();
      features.add(column);
    }
    if (features.isEmpty()) {
      throw new BadDataException(file + ": no feature columns besides the label column '" + header.get(labelIndex) + "'");
    }
    if (width > DataLimits.MAX_COLUMNS) {
      throw new BadDataException(file + ": " + width + " features after one-hot encoding, more than "
          + DataLimits.MAX_COLUMNS);
    }
    return new CsvSchema(file, header, labelIndex, features, task, options.classes());
  }

  /** Encodes {@code file} (the training file or one with the same columns) with {@code schema}. */
  public static TabularSamples read(Path file, CsvSchema schema) {
    int rows = countRows(file);
    int width = schema.width();
    if ((long) rows * width > DataLimits.MAX_ELEMENTS) {
      throw new BadDataException(file + ": " + rows + " rows x " + width + " features is more than "
          + DataLimits.MAX_ELEMENTS + " values in memory");
    }
    float[] features = new float[rows * width];
    float[] labels = new float[rows];
    Map<String, Integer> classIndex = classIndex(schema.classNames());
    try (CsvLines lines = CsvLines.open(file)) {
      List<String> header = readHeader(lines);
      int[] position = positions(file, header, schema);
      int labelPosition = position[schema.header().size()];
      String labelName = schema.labelName();
      List<Map<String, Integer>> categoryIndex = new ArrayList<>();
      for (CsvSchema.Column column : schema.features()) {
        Map<String, Integer> index = new HashMap<>();
        if (column instanceof CsvSchema.Categorical categorical) {
          for (int k = 0; k < categorical.categories().size(); k++) {
            index.put(categorical.categories().get(k), k);
          }
        }
        categoryIndex.add(index);
      }
      List<String> fields;
      int row = 0;
      while ((fields = lines.next()) != null && row < rows) {
        checkWidth(lines, fields, header.size());
        int offset = row * width;
        for (int f = 0; f < schema.features().size(); f++) {
          CsvSchema.Column column = schema.features().get(f);
          String value = fields.get(position[f]);
          if (value.isEmpty()) {
            throw missing(lines, column.name());
          }
          if (column instanceof CsvSchema.Categorical categorical) {
            Integer k = categoryIndex.get(f).get(value);
            if (k == null) {
              throw new BadDataException(file + " line " + lines.lineNumber() + ", column '" + column.name()
                  + "': category '" + value + "' does not occur in the training file " + schema.trainingFile()
                  + " (its categories: " + abbreviated(categorical.categories()) + ")");
            }
            features[offset + k] = 1f;
            offset += categorical.width();
          } else {
            features[offset++] = (float) parseNumber(lines, column.name(), value);
          }
        }
        labels[row] = label(lines, labelName, fields.get(labelPosition), schema, classIndex);
        row++;
      }
      if (row < rows) {
        throw new BadDataException(file + ": changed while it was read (" + row + " rows, then " + rows + ")");
      }
    }
    return new TabularSamples(features, labels, schema.task(), schema.featureNames(), schema.numericFeatures());
  }

  private static float label(CsvLines lines, String column, String value, CsvSchema schema,
      Map<String, Integer> classIndex) {
    if (value.isEmpty()) {
      throw missing(lines, column);
    }
    if (schema.task() instanceof Task.Regression) {
      return (float) parseNumber(lines, column, value);
    }
    int classes = ((Task.Classification) schema.task()).classes();
    if (!classIndex.isEmpty()) {
      Integer index = classIndex.get(value);
      if (index == null) {
        throw unknownClass(lines, column, value, schema.classNames());
      }
      return index;
    }
    long index = classIndexLabel(lines, column, value);
    if (index >= classes) {
      throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ", column '" + column + "': class "
          + index + " is not one of the " + classes + " classes 0.." + (classes - 1) + " of the training file "
          + schema.trainingFile() + "; name every class with --classes so all files agree");
    }
    return index;
  }

  private static int countRows(Path file) {
    int rows = 0;
    try (CsvLines lines = CsvLines.open(file)) {
      if (lines.next() == null) {
        throw new BadDataException(file + ": empty; a CSV file needs a header row and data rows");
      }
      while (lines.next() != null) {
        if (++rows > DataLimits.MAX_SAMPLES) {
          throw new BadDataException(file + ": more than " + DataLimits.MAX_SAMPLES + " rows");
        }
      }
    }
    if (rows == 0) {
      throw new BadDataException(file + ": no data rows after the header");
    }
    return rows;
  }

  /** For every schema column (features, then the label) its position in this file's header. */
  private static int[] positions(Path file, List<String> header, CsvSchema schema) {
    Map<String, Integer> byName = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      byName.put(header.get(i), i);
    }
    List<String> missingColumns = new ArrayList<>();
    int[] position = new int[schema.header().size() + 1];
    for (int f = 0; f < schema.features().size(); f++) {
      Integer p = byName.get(schema.features().get(f).name());
      if (p == null) {
        missingColumns.add(schema.features().get(f).name());
      } else {
        position[f] = p;
      }
    }
    Integer label = byName.get(schema.labelName());
    if (label == null) {
      missingColumns.add(schema.labelName());
    } else {
      position[schema.header().size()] = label;
    }
    Set<String> extra = new HashSet<>(header);
    extra.removeAll(schema.header());
    if (!missingColumns.isEmpty() || !extra.isEmpty()) {
      throw new BadDataException(file + " line 1: its columns differ from those of the training file "
          + schema.trainingFile() + (missingColumns.isEmpty() ? "" : "; missing " + abbreviated(missingColumns))
          + (extra.isEmpty() ? "" : "; not in the training file " + abbreviated(new ArrayList<>(new TreeSet<>(extra)))));
    }
    return position;
  }

  private static List<String> readHeader(CsvLines lines) {
    List<String> header = lines.next();
    if (header == null) {
      throw new BadDataException(lines.file() + ": empty; a CSV file needs a header row and data rows");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i);
      if (name.isEmpty()) {
        throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ": column " + (i + 1)
            + " has no name; the first line must be a header naming every column");
      }
      if (!seen.add(name)) {
        throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ": column name '" + name
            + "' appears twice in the header");
      }
    }
    if (header.size() < 2) {
      throw new BadDataException(lines.file() + " line " + lines.lineNumber()
          + ": one column; a CSV data file needs feature columns and a label column, separated by commas");
    }
    return header;
  }

  private static int labelIndex(Path file, List<String> header, String labelColumn) {
    if (labelColumn != null) {
      int index = header.indexOf(labelColumn);
      if (index < 0) {
        throw new BadDataException(file + " line 1: no column named '" + labelColumn + "' (--label-column); columns: "
            + abbreviated(header));
      }
      return index;
    }
    for (int i = 0; i < header.size(); i++) {
      if (DEFAULT_LABEL_NAMES.contains(header.get(i).toLowerCase(Locale.ROOT))) {
        return i;
      }
    }
    return header.size() - 1;
  }

  private static void checkWidth(CsvLines lines, List<String> fields, int columns) {
    if (fields.size() != columns) {
      throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ": " + fields.size()
          + " fields, but the header has " + columns + " columns");
    }
  }

  static boolean isNumber(String value) {
    return NUMBER.matcher(value).matches() && Double.isFinite(Double.parseDouble(value));
  }

  private static double parseNumber(CsvLines lines, String column, String value) {
    if (!NUMBER.matcher(value).matches()) {
      throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ", column '" + column + "': '"
          + value + "' is not a number");
    }
    double number = Double.parseDouble(value);
    if (!Double.isFinite(number) || Math.abs(number) > Float.MAX_VALUE) {
      throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ", column '" + column + "': '"
          + value + "' is out of the float range");
    }
    return number;
  }

  private static long classIndexLabel(CsvLines lines, String column, String value) {
    if (NUMBER.matcher(value).matches()) {
      double number = Double.parseDouble(value);
      if (number >= 0 && number == Math.rint(number) && number < DataLimits.MAX_CLASSES) {
        return (long) number;
      }
    }
    throw new BadDataException(lines.file() + " line " + lines.lineNumber() + ", column '" + column + "': label '"
        + value + "' is not a class index 0.." + (DataLimits.MAX_CLASSES - 1) + "; string labels need the class list "
        + "(--classes a,b,c) so that every party maps them to the same indices, and real-valued targets need "
        + "--task regression");
  }

  private static BadDataException unknownClass(CsvLines lines, String column, String value, List<String> classes) {
    return new BadDataException(lines.file() + " line " + lines.lineNumber() + ", column '" + column + "': label '"
        + value + "' is not one of --classes " + abbreviated(classes));
  }

  private static BadDataException missing(CsvLines lines, String column) {
    return new BadDataException(lines.file() + " line " + lines.lineNumber() + ", column '" + column
        + "': empty value; fill in or drop missing values before training");
  }

  private static Map<String, Integer> classIndex(List<String> classes) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      if (index.put(classes.get(i), i) != null) {
        throw new IllegalArgumentException("--classes names '" + classes.get(i) + "' twice");
      }
    }
    return index;
  }

  private static String abbreviated(List<String> values) {
    if (values.size() <= 10) {
      return values.toString();
    }
    return values.subList(0, 10) + " and " + (values.size() - 10) + " more";
  }
}
