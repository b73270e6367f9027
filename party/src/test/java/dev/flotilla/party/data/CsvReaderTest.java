package dev.flotilla.party.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("CSV reader")
class CsvReaderTest {
  @TempDir Path dir;

  Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  static float[] row(Samples samples, int index) {
    float[] values = new float[samples.featuresPerSample()];
    samples.copyFeatures(index, values, 0);
    return values;
  }

  static DataOptions options() {
    return DataOptions.defaults();
  }

  @Test
  @DisplayName("numeric columns stay numbers, text columns become one-hot features in sorted category order, integer labels are classes")
  void numericAndCategorical() throws IOException {
    Path file = write("train.csv", """
        age,colour,height,label
        30,red,1.5,1
        40,blue,1.7,0
        50,"green, light",1.9,2
        """);
    CsvSchema schema = CsvReader.learn(file, options());
    TabularSamples samples = CsvReader.read(file, schema);

    assertThat(schema.labelName()).isEqualTo("label");
    assertThat(samples.featureNames())
        .containsExactly("age", "colour=blue", "colour=green, light", "colour=red", "height");
    assertThat(samples.size()).isEqualTo(3);
    assertThat(samples.sampleShape()).containsExactly(5);
    assertThat(row(samples, 0)).containsExactly(30f, 0f, 0f, 1f, 1.5f);
    assertThat(row(samples, 2)).containsExactly(50f, 0f, 1f, 0f, 1.9f);
    assertThat(samples.task()).isEqualTo(Task.classification(3));
    assertThat(samples.classOf(0)).isEqualTo(1);
    assertThat(samples.classOf(2)).isEqualTo(2);
    assertThat(samples.standardisable(0)).isTrue();
    assertThat(samples.standardisable(1)).isFalse();
  }

  @Test
  @DisplayName("the label column is --label-column, else a column named label/target/class, else the last one")
  void labelColumnChoice() throws IOException {
    Path named = write("named.csv", "a,Target,b\n1,0,2\n3,1,4\n");
    assertThat(CsvReader.learn(named, options()).labelName()).isEqualTo("Target");
    Path last = write("last.csv", "a,b,outcome\n1,2,0\n3,4,1\n");
    assertThat(CsvReader.learn(last, options()).labelName()).isEqualTo("outcome");
    CsvSchema chosen = CsvReader.learn(last, options().withLabelColumn("a"));
    assertThat(chosen.labelName()).isEqualTo("a");
    assertThat(CsvReader.read(last, chosen).featureNames()).containsExactly("b", "outcome");
    assertThatThrownBy(() -> CsvReader.learn(last, options().withLabelColumn("nope")))
        .isInstanceOf(BadDataException.class)
        .hasMessageContaining("no column named 'nope' (--label-column)")
        .hasMessageContaining("[a, b, outcome]");
  }

  @Test
  @DisplayName("string labels without --classes are refused with a message saying why the class list is needed")
  void stringLabelsNeedClasses() throws IOException {
    Path file = write("train.csv", "x,label\n1,cat\n2,dog\n");
    assertThatThrownBy(() -> CsvReader.learn(file, options()))
        .isInstanceOf(BadDataException.class)
        .hasMessageContaining(file + " line 2, column 'label': label 'cat' is not a class index")
        .hasMessageContaining("--classes a,b,c")
        .hasMessageContaining("every party maps them to the same indices");
  }

  @Test
  @DisplayName("with --classes, string labels map to their position in the list, the same for every file")
  void classesMapLabels() throws IOException {
    Path file = write("train.csv", "x,label\n1,dog\n2,cat\n3,dog\n");
    CsvSchema schema = CsvReader.learn(file, options().withClasses(List.of("cat", "dog", "bird")));
    TabularSamples samples = CsvReader.read(file, schema);
    assertThat(samples.task()).isEqualTo(Task.classification(3));
    assertThat(new int[] {samples.classOf(0), samples.classOf(1), samples.classOf(2)}).containsExactly(1, 0, 1);

    Path test = write("test.csv", "x,label\n1,fish\n");
    assertThatThrownBy(() -> CsvReader.read(test, schema))
        .hasMessageContaining(test + " line 2, column 'label': label 'fish' is not one of --classes [cat, dog, bird]");
  }

  @Test
  @DisplayName("--task regression keeps real-valued labels as targets")
  void regression() throws IOException {
    Path file = write("train.csv", "x,price\n1,2.5\n2,-3.25e1\n");
    CsvSchema schema = CsvReader.learn(file, options().withTask(DataOptions.TaskKind.REGRESSION));
    TabularSamples samples = CsvReader.read(file, schema);
    assertThat(samples.task()).isEqualTo(Task.regression());
    assertThat(samples.label(1)).isEqualTo(-32.5f);
  }

  @Nested
  @DisplayName("a test file read with the training file's schema")
  class TestFile {
    @Test
    @DisplayName("may order its columns differently; features come out in the training order")
    void columnsByName() throws IOException {
      Path train = write("train.csv", "a,b,label\n1,x,0\n2,y,1\n");
      Path test = write("test.csv", "label,b,a\n1,y,7\n");
      TabularSamples samples = CsvReader.read(test, CsvReader.learn(train, options()));
      assertThat(row(samples, 0)).containsExactly(7f, 0f, 1f);
      assertThat(samples.label(0)).isEqualTo(1f);
    }

    @Test
    @DisplayName("a category the training file never had is refused, naming the file, line, column, value and the known categories")
    void unseenCategory() throws IOException {
      Path train = write("train.csv", "a,colour,label\n1,red,0\n2,blue,1\n");
      Path test = write("test.csv", "a,colour,label\n1,red,0\n2,mauve,1\n");
      assertThatThrownBy(() -> CsvReader.read(test, CsvReader.learn(train, options())))
          .isInstanceOf(BadDataException.class)
          .hasMessage(test + " line 3, column 'colour': category 'mauve' does not occur in the training file " + train
              + " (its categories: [blue, red])");
    }

    @Test
    @DisplayName("text in a column that is numeric in the training file is refused with its line")
    void textInNumericColumn() throws IOException {
      Path train = write("train.csv", "a,label\n1,0\n2,1\n");
      Path test = write("test.csv", "a,label\n1,0\n1d,1\n");
      assertThatThrownBy(() -> CsvReader.read(test, CsvReader.learn(train, options())))
          .hasMessage(test + " line 3, column 'a': '1d' is not a number");
    }

    @Test
    @DisplayName("a class index the training file did not have is refused")
    void unseenClassIndex() throws IOException {
      Path train = write("train.csv", "a,label\n1,0\n2,1\n");
      Path test = write("test.csv", "a,label\n1,4\n");
      assertThatThrownBy(() -> CsvReader.read(test, CsvReader.learn(train, options())))
          .hasMessageContaining(test + " line 2, column 'label': class 4 is not one of the 2 classes 0..1");
    }

    @Test
    @DisplayName("missing or extra columns are named")
    void differentColumns() throws IOException {
      Path train = write("train.csv", "a,b,label\n1,2,0\n2,3,1\n");
      Path test = write("test.csv", "a,c,label\n1,2,0\n");
      assertThatThrownBy(() -> CsvReader.read(test, CsvReader.learn(train, options())))
          .hasMessageContaining(test + " line 1: its columns differ")
          .hasMessageContaining("missing [b]")
          .hasMessageContaining("not in the training file [c]");
    }
  }

  @Nested
  @DisplayName("hostile or broken files")
  class Hostile {
    @Test
    @DisplayName("a line longer than the cap is refused before it is kept, naming the line")
    void longLine() throws IOException {
      Path file = dir.resolve("long.csv");
      Files.writeString(file, "a,label\n1,0\n" + "9".repeat(DataLimits.MAX_LINE_BYTES + 1) + ",1\n");
      assertThatThrownBy(() -> CsvReader.learn(file, options()))
          .isInstanceOf(BadDataException.class)
          .hasMessage(file + " line 3: longer than " + DataLimits.MAX_LINE_BYTES + " bytes; is this a CSV file?");
    }

    @Test
    @DisplayName("more columns than the cap are refused")
    void tooManyColumns() throws IOException {
      Path file = write("wide.csv", ",".repeat(DataLimits.MAX_COLUMNS + 1) + "\n");
      assertThatThrownBy(() -> CsvReader.learn(file, options()))
          .hasMessage(file + " line 1: more than " + DataLimits.MAX_COLUMNS + " columns");
    }

    @Test
    @DisplayName("a row with the wrong number of fields names its line and both counts")
    void ragged() throws IOException {
      Path file = write("ragged.csv", "a,b,label\n1,2,0\n1,0\n");
      assertThatThrownBy(() -> CsvReader.learn(file, options()))
          .hasMessage(file + " line 3: 2 fields, but the header has 3 columns");
    }

    @Test
    @DisplayName("an empty value, an unclosed quote, a duplicate column name and non-UTF-8 bytes are each named")
    void malformed() throws IOException {
      Path empty = write("empty.csv", "a,label\n1,0\n,1\n");
      assertThatThrownBy(() -> CsvReader.learn(empty, options()))
          .hasMessage(empty + " line 3, column 'a': empty value; fill in or drop missing values before training");
      Path quote = write("quote.csv", "a,label\n\"1,0\n");
      assertThatThrownBy(() -> CsvReader.learn(quote, options()))
          .hasMessageContaining(quote + " line 2: a quoted field is not closed");
      Path duplicate = write("dup.csv", "a,a,label\n1,2,0\n");
      assertThatThrownBy(() -> CsvReader.learn(duplicate, options()))
          .hasMessage(duplicate + " line 1: column name 'a' appears twice in the header");
      Path binary = dir.resolve("binary.csv");
      Files.write(binary, new byte[] {'a', ',', 'b', '\n', (byte) 0xff, (byte) 0xfe, ',', '1', '\n'});
      assertThatThrownBy(() -> CsvReader.learn(binary, options()))
          .hasMessage(binary + " line 2: not UTF-8 text");
    }

    @Test
    @DisplayName("NaN, Infinity, hex and numbers beyond float range are not numbers")
    void strictNumbers() {
      assertThat(CsvReader.isNumber("1.5e-3")).isTrue();
      assertThat(CsvReader.isNumber("-.5")).isTrue();
      assertThat(CsvReader.isNumber("NaN")).isFalse();
      assertThat(CsvReader.isNumber("Infinity")).isFalse();
      assertThat(CsvReader.isNumber("0x10")).isFalse();
      assertThat(CsvReader.isNumber("1f")).isFalse();
      assertThat(CsvReader.isNumber("1e999")).isFalse();
    }

    @Test
    @DisplayName("an identifier column with more distinct values than the category cap is refused as a category")
    void tooManyCategories() throws IOException {
      StringBuilder csv = new StringBuilder("id,label\n");
      for (int i = 0; i <= DataLimits.MAX_CATEGORIES; i++) {
        csv.append("u").append(i).append(",0\n");
      }
      Path file = write("ids.csv", csv.toString());
      assertThatThrownBy(() -> CsvReader.learn(file, options()))
          .hasMessageContaining(file + " column 'id': more than " + DataLimits.MAX_CATEGORIES + " distinct non-numeric values")
          .hasMessageContaining("drop the column");
    }
  }

  @Test
  @DisplayName("standardisation uses the training rows' mean and std for training and test rows, and leaves one-hot features alone")
  void standardisation() throws IOException {
    Path train = write("train.csv", "a,c,k,label\n1,x,5,0\n3,y,5,1\n5,x,5,0\n");
    Path test = write("test.csv", "a,c,k,label\n7,y,6,1\n");
    CsvSchema schema = CsvReader.learn(train, options());
    TabularSamples rawTrain = CsvReader.read(train, schema);
    Standardisation statistics = Standardisation.fit(rawTrain);
    TabularSamples scaledTrain = statistics.apply(rawTrain);
    TabularSamples scaledTest = statistics.apply(CsvReader.read(test, schema));

    double std = Math.sqrt(8.0 / 3); // population std of 1, 3, 5
    assertThat(statistics.mean(0)).isCloseTo(3, within(1e-9));
    assertThat(statistics.std(0)).isCloseTo(std, within(1e-9));
    assertThat(row(scaledTrain, 0)[0]).isCloseTo((float) (-2 / std), within(1e-6f));
    assertThat(row(scaledTest, 0)[0]).isCloseTo((float) (4 / std), within(1e-6f));
    assertThat(row(scaledTest, 0)[1]).isEqualTo(0f); // c=x one-hot
    assertThat(row(scaledTest, 0)[2]).isEqualTo(1f); // c=y one-hot
    assertThat(row(scaledTrain, 1)[3]).isEqualTo(0f); // a constant column is centred only
    assertThat(row(scaledTest, 0)[3]).isEqualTo(1f);
  }

  @Test
  @DisplayName("a value that a nearly constant training column cannot standardise into a finite float32 is refused, naming the column and row")
  void standardisationOverflowIsRefused() throws IOException {
    Path train = write("train.csv", "a,b,label\n0,1,0\n1.4E-45,2,1\n");
    Path test = write("test.csv", "a,b,label\n3E38,1,1\n");
    CsvSchema schema = CsvReader.learn(train, options());
    Standardisation statistics = Standardisation.fit(CsvReader.read(train, schema));
    TabularSamples rawTest = CsvReader.read(test, schema);

    assertThatThrownBy(() -> statistics.apply(rawTest))
        .isInstanceOf(BadDataException.class)
        .hasMessageContaining("column 'a' of row 1")
        .hasMessageContaining("not a finite float32");
  }
}
