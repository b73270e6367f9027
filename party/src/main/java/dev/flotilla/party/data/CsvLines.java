package dev.flotilla.party.data;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The records of a comma-separated UTF-8 file, one per line, each split into fields: a field may be
 * quoted ("a, b" and "say ""hi""" work), but a quoted field may not span lines. A line longer than
 * {@link DataLimits#MAX_LINE_CHARS} or with more than {@link DataLimits#MAX_COLUMNS} fields is
 * refused before it is kept; blank lines are skipped. Errors name the file and the line.
 */
final class CsvLines implements AutoCloseable {
  private final Path file;
  private final Reader reader;
  private final char[] buffer = new char[1 << 16];
  private final StringBuilder line = new StringBuilder();
  private int position;
  private int limit;
  private long lineNumber;
  private boolean first = true;

  private CsvLines(Path file, Reader reader) {
    this.file = file;
    this.reader = reader;
  }

  static CsvLines open(Path file) {
    try {
      var decoder = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      return new CsvLines(file, new InputStreamReader(Files.newInputStream(file), decoder));
    } catch (NoSuchFileException e) {
      throw new DataMissingException("data file missing: " + file, e);
    } catch (IOException e) {
      throw new DataMissingException("cannot read data file " + file + ": " + e.getMessage(), e);
    }
  }

  Path file() {
    return file;
  }

  /** The 1-based number of the line last returned by {@link #next()}. */
  long lineNumber() {
    return lineNumber;
  }

  /** The fields of the next non-blank line, or null at the end of the file. */
  List<String> next() {
    while (true) {
      if (!readLine()) {
        return null;
      }
      if (first) {
        first = false;
        if (line.length() > 0 && line.charAt(0) == '\uFEFF') {
          line.deleteCharAt(0);
        }
      }
      if (!line.toString().isBlank()) {
        return split();
      }
    }
  }

  private boolean readLine() {
    line.setLength(0);
    boolean any = false;
    try {
      while (true) {
        if (position == limit) {
          limit = reader.read(buffer, 0, buffer.length);
          position = 0;
          if (limit <= 0) {
            limit = 0;
            if (any) {
              lineNumber++;
            }
            return any;
          }
        }
        any = true;
        char c = buffer[position++];
        if (c == '\n') {
          lineNumber++;
          if (line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
            line.setLength(line.length() - 1);
          }
          return true;
        }
        if (line.length() >= DataLimits.MAX_LINE_CHARS) {
          throw new BadDataException(file + " line " + (lineNumber + 1) + ": longer than " + DataLimits.MAX_LINE_CHARS
              + " characters; is this a CSV file?");
        }
        line.append(c);
      }
    } catch (CharacterCodingException e) {
      throw new BadDataException(file + " line " + (lineNumber + 1) + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new DataMissingException("cannot read data file " + file + ": " + e.getMessage(), e);
    }
  }

  private List<String> split() {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int i = 0;
    int n = line.length();
    while (true) {
      field.setLength(0);
      while (i < n && line.charAt(i) == ' ') {
        i++;
      }
      if (i < n && line.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < n) {
          char c = line.charAt(i++);
          if (c == '"') {
            if (i < n && line.charAt(i) == '"') {
              field.append('"');
              i++;
            } else {
              closed = true;
              break;
            }
          } else {
            field.append(c);
          }
        }
        if (!closed) {
          throw new BadDataException(file + " line " + lineNumber + ": a quoted field is not closed on its line "
              + "(quoted fields may not span lines)");
        }
        while (i < n && line.charAt(i) == ' ') {
          i++;
        }
        if (i < n && line.charAt(i) != ',') {
          throw new BadDataException(file + " line " + lineNumber + ", field " + (fields.size() + 1)
              + ": text after the closing quote");
        }
      } else {
        while (i < n && line.charAt(i) != ',') {
          field.append(line.charAt(i++));
        }
      }
      fields.add(field.toString().strip());
      if (fields.size() > DataLimits.MAX_COLUMNS) {
        throw new BadDataException(file + " line " + lineNumber + ": more than " + DataLimits.MAX_COLUMNS + " columns");
      }
      if (i >= n) {
        return fields;
      }
      i++; // the comma
      if (i == n) {
        fields.add("");
        return fields;
      }
    }
  }

  @Override
  public void close() {
    try {
      reader.close();
    } catch (IOException ignored) {
      // read-only: nothing was lost
    }
  }
}
