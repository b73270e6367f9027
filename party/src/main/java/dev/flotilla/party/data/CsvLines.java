package dev.flotilla.party.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The records of a comma-separated UTF-8 file, one per line, each split into fields: a field may be
 * quoted ("a, b" and "say ""hi""" work), but a quoted field may not span lines. A line longer than
 * {@link DataLimits#MAX_LINE_BYTES} bytes or with more than {@link DataLimits#MAX_COLUMNS} fields is
 * refused before it is kept; blank lines are skipped. Errors name the file and the line.
 */
final class CsvLines implements AutoCloseable {
  private final Path file;
  private final InputStream in;
  private final byte[] buffer = new byte[1 << 16];
  private byte[] lineBytes = new byte[256];
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private String line = "";
  private int position;
  private int limit;
  private long lineNumber;
  private boolean first = true;

  private CsvLines(Path file, InputStream in) {
    this.file = file;
    this.in = in;
  }

  static CsvLines open(Path file) {
    try {
      return new CsvLines(file, Files.newInputStream(file));
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
        if (line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
      }
      if (!line.isBlank()) {
        return split();
      }
    }
  }

  /** Reads one line's bytes (bounded) and decodes them, so a decoding error names its own line. */
  private boolean readLine() {
    int length = 0;
    boolean any = false;
    try {
      while (true) {
        if (position == limit) {
          limit = in.read(buffer, 0, buffer.length);
          position = 0;
          if (limit <= 0) {
            limit = 0;
            if (!any) {
              return false;
            }
            break;
          }
        }
        any = true;
        byte b = buffer[position++];
        if (b == '\n') {
          break;
        }
        if (length >= DataLimits.MAX_LINE_BYTES) {
          throw new BadDataException(file + " line " + (lineNumber + 1) + ": longer than " + DataLimits.MAX_LINE_BYTES
              + " bytes; is this a CSV file?");
        }
        if (length == lineBytes.length) {
          lineBytes = Arrays.copyOf(lineBytes, Math.min(DataLimits.MAX_LINE_BYTES, length * 2));
        }
        lineBytes[length++] = b;
      }
    } catch (IOException e) {
      throw new DataMissingException("cannot read data file " + file + ": " + e.getMessage(), e);
    }
    lineNumber++;
    if (length > 0 && lineBytes[length - 1] == '\r') {
      length--;
    }
    try {
      line = decoder.decode(ByteBuffer.wrap(lineBytes, 0, length)).toString();
    } catch (CharacterCodingException e) {
      throw new BadDataException(file + " line " + lineNumber + ": not UTF-8 text", e);
    }
    return true;
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
      in.close();
    } catch (IOException ignored) {
      // read-only: nothing was lost
    }
  }
}
