package dev.flotilla.protocol.model;

import dev.flotilla.common.AtomicFiles;
import dev.flotilla.common.JsonText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads and writes models in the safetensors format (what {@code safetensors.torch.save_file}
 * writes and {@code load_file} reads): an 8-byte little-endian header length N, N bytes of UTF-8
 * JSON {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}},
 * then the data section, every tensor little-endian and row-major.
 *
 * <p>A model file is hostile input: the header length is bounded before anything is read, the
 * JSON parser is strict and bounded, and the layout is checked (supported dtypes, shapes, offsets
 * contiguous from 0 and covering the whole data section) before any value is allocated; every
 * refusal is a {@link SafetensorsException} naming the file and what was wrong. Lengths and
 * offsets are longs, so tensors above 2^31 bytes and files above 2 GiB work (one tensor must
 * still fit a Java array: at most 2^31 - 1 values).
 */
public final class Safetensors {

  /** The metadata key naming a built-in architecture ("mlp", "cnn", ...). */
  public static final String MODEL_KEY = "flotilla.model";
  /** Largest header accepted, as upstream safetensors (100 MiB). */
  public static final long MAX_HEADER_BYTES = 100L << 20;
  /** Longest tensor name accepted, in characters. */
  public static final int MAX_NAME_LENGTH = 1024;
  static final String METADATA = "__metadata__";
  private static final int BUFFER_BYTES = 1 << 20; // a multiple of every dtype's size

  private Safetensors() {}

  /** The checked header of a file, without reading its data. */
  public static SafetensorsHeader readLayout(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, channel);
    }
  }

  /** Values of a model, read block by block (a model in memory, in a file, ...). */
  @FunctionalInterface
  public interface ValueSource {
    /** Copies {@code count} values of {@code tensor} from element {@code offset} into {@code dst[at..]}. */
    void read(int tensor, int offset, float[] dst, int at, int count) throws IOException;
  }

  /** Receives a model's values block by block, tensor by tensor in layout order, offsets ascending. */
  @FunctionalInterface
  public interface ValueSink {
    /** Takes {@code count} values of {@code tensor} from element {@code offset}, copied from {@code src[at..]}. */
    void write(int tensor, int offset, float[] src, int at, int count) throws IOException;
  }

  /** The whole model in memory: checked header, then every value converted to float32 and checked finite. */
  public static ModelFile read(Path file) throws IOException {
    SafetensorsHeader[] header = new SafetensorsHeader[1];
    float[][][] values = new float[1][][];
    header[0] = read(file, layout -> {
      values[0] = new float[layout.size()][];
      for (int t = 0; t < layout.size(); t++) {
        values[0][t] = new float[layout.get(t).numElements()];
      }
    }, (t, offset, src, at, count) -> System.arraycopy(src, at, values[0][t], offset, count));
    return new ModelFile(header[0].layout(), values[0], header[0].metadata());
  }

  /** Told the checked layout before the first value arrives (e.g. to size what receives them). */
  @FunctionalInterface
  public interface LayoutListener {
    void layout(List<TensorSpec> layout) throws IOException;
  }

  /**
   * Streams the model through one buffer: the checked header, then every value converted to float32
   * and checked finite, block by block into {@code sink}; memory is one block, whatever the model's
   * size. Returns the header.
   */
  public static SafetensorsHeader read(Path file, LayoutListener onLayout, ValueSink sink) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      SafetensorsHeader header = readHeader(file, channel);
      List<TensorSpec> layout = header.layout();
      for (TensorSpec t : layout) {
        if (t.elementCount() > Integer.MAX_VALUE - 8) {
          throw new SafetensorsException(file, "tensor '" + t.name() + "' has " + t.elementCount()
              + " values, more than one Java array holds (2^31 - 9)");
        }
      }
      onLayout.layout(layout);
      ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      float[] block = new float[BUFFER_BYTES / Float.BYTES];
      long position = header.dataStart();
      for (int t = 0; t < layout.size(); t++) {
        TensorSpec spec = layout.get(t);
        DType dtype = spec.dtype();
        int length = spec.numElements();
        int perBuffer = BUFFER_BYTES / dtype.bytes();
        for (int done = 0; done < length; ) {
          int n = Math.min(perBuffer, length - done);
          buffer.clear().limit(n * dtype.bytes());
          readFully(file, channel, buffer, position);
          buffer.flip();
          StoredValues.decode(dtype, buffer, block, 0, n);
          for (int i = 0; i < n; i++) {
            if (!Float.isFinite(block[i])) {
              throw new SafetensorsException(file, "tensor '" + spec.name() + "' element " + (done + i) + " is "
                  + (Float.isNaN(block[i]) ? "NaN" : dtype == DType.F64 ? "infinite or beyond the float32 range" : "infinite")
                  + "; a model holds finite values only");
            }
          }
          sink.write(t, done, block, 0, n);
          position += (long) n * dtype.bytes();
          done += n;
        }
      }
      return header;
    }
  }

  /**
   * Writes a model atomically: a temporary file in the same directory, streamed through one
   * buffer, fsynced, then moved over {@code file}. Values are converted to each tensor's dtype
   * (floating types round to nearest even, integer types to the nearest integer).
   *
   * @throws IllegalArgumentException if the values do not match the layout, a name is empty,
   *     repeated or too long, or a value is not finite or does not fit the tensor's dtype (the
   *     message names the tensor and element)
   */
  public static void write(Path file, List<TensorSpec> layout, float[][] values, Map<String, String> metadata)
      throws IOException {
    checkWritable(layout, values);
    write(file, layout, (t, offset, dst, at, count) -> System.arraycopy(values[t], offset, dst, at, count), metadata);
  }

  /**
   * Writes a model atomically as {@link #write(Path, List, float[][], Map)} does, reading its values
   * block by block from {@code values}: memory is one block, whatever the model's size.
   */
  public static void write(Path file, List<TensorSpec> layout, ValueSource values, Map<String, String> metadata)
      throws IOException {
    checkWritable(layout, metadata);
    byte[] header = headerJson(layout, metadata);
    AtomicFiles.write(file, channel -> writeBody(channel, header, layout, values));
  }

  private static void writeBody(FileChannel channel, byte[] header, List<TensorSpec> layout, ValueSource values)
      throws IOException {
    ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
    prefix.putLong(header.length).put(header).flip();
    AtomicFiles.writeFully(channel, prefix);
    ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    float[] block = new float[BUFFER_BYTES / Float.BYTES];
    for (int t = 0; t < layout.size(); t++) {
      TensorSpec spec = layout.get(t);
      int length = spec.numElements();
      int perBuffer = BUFFER_BYTES / spec.dtype().bytes();
      for (int done = 0; done < length; ) {
        int n = Math.min(perBuffer, length - done);
        values.read(t, done, block, 0, n);
        for (int i = 0; i < n; i++) {
          if (!Float.isFinite(block[i])) {
            throw new IllegalArgumentException("tensor '" + spec.name() + "' element " + (done + i) + " is "
                + block[i] + "; a model holds finite values only");
          }
        }
        buffer.clear();
        int bad = StoredValues.encode(spec.dtype(), block, 0, n, buffer);
        if (bad >= 0) {
          throw new IllegalArgumentException("tensor '" + spec.name() + "' element " + (done + bad) + " is "
              + block[bad] + ", which " + spec.dtype().safetensorsName() + " cannot hold");
        }
        buffer.flip();
        AtomicFiles.writeFully(channel, buffer);
        done += n;
      }
    }
  }

  /** The dtypes Flotilla reads and writes, e.g. "F32, F16, BF16, F64, I64, I32". */
  public static String supportedDtypes() {
    return java.util.Arrays.stream(DType.values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
  }

  // ---- reading the header ----

  private static SafetensorsHeader readHeader(Path file, FileChannel channel) throws IOException {
    long size = channel.size();
    if (size < 8) {
      throw new SafetensorsException(file, "is " + size + " bytes long, too short for the 8-byte header length");
    }
    ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, channel, lengthBytes, 0);
    long headerLength = lengthBytes.flip().getLong();
    if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
      throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLength)
          + " is outside 2.." + MAX_HEADER_BYTES + " bytes");
    }
    if (headerLength > size - 8) {
      throw new SafetensorsException(file, "header length " + headerLength + " exceeds the " + (size - 8)
          + " bytes that follow it in the file");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    readFully(file, channel, headerBytes, 8);
    headerBytes.flip();
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(headerBytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsException(file, "header is not valid UTF-8");
    }
    return parseHeader(file, text, 8 + headerLength, size - 8 - headerLength);
  }

  /** Checks a header's JSON text against the rules of the class comment. */
  static SafetensorsHeader parseHeader(Path file, String text, long dataStart, long dataBytes)
      throws SafetensorsException {
    Object json;
    try {
      json = HeaderJson.parse(text);
    } catch (HeaderJson.SyntaxException e) {
      throw new SafetensorsException(file, e.getMessage());
    }
    if (!(json instanceof Map<?, ?> top)) {
      throw new SafetensorsException(file, "header is not a JSON object");
    }
    Map<String, String> metadata = Map.of();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<?, ?> e : top.entrySet()) {
      String name = (String) e.getKey();
      if (name.equals(METADATA)) {
        metadata = metadata(file, e.getValue());
      } else {
        entries.add(entry(file, name, e.getValue()));
      }
    }
    if (entries.isEmpty()) {
      throw new SafetensorsException(file, "holds no tensors");
    }
    entries.sort(Comparator.comparingLong(Entry::begin));
    long expectedBegin = 0;
    String previous = null;
    List<TensorSpec> layout = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      if (e.begin != expectedBegin) {
        throw new SafetensorsException(file, "tensor '" + e.spec.name() + "' starts at data byte " + e.begin
            + (previous == null ? ", but the first tensor must start at 0"
                : " but '" + previous + "' ends at " + expectedBegin
                    + (e.begin < expectedBegin ? " (the tensors overlap)" : " (a gap)")));
      }
      long length = e.end - e.begin;
      if (length != e.spec.fileBytes()) {
        throw new SafetensorsException(file, "tensor '" + e.spec.name() + "' has data_offsets [" + e.begin + ", "
            + e.end + "] (" + length + " bytes), but shape " + e.spec.shapeString() + " of "
            + e.spec.dtype().safetensorsName() + " needs " + e.spec.fileBytes() + " bytes");
      }
      layout.add(e.spec);
      expectedBegin = e.end;
      previous = e.spec.name();
    }
    if (expectedBegin != dataBytes) {
      throw new SafetensorsException(file, "the tensors end at data byte " + expectedBegin + ", but the data section has "
          + dataBytes + " bytes" + (dataBytes < expectedBegin ? " (the file is truncated)" : " (trailing bytes)"));
    }
    return new SafetensorsHeader(layout, metadata, dataStart);
  }

  private record Entry(TensorSpec spec, long begin, long end) {}

  private static Entry entry(Path file, String name, Object value) throws SafetensorsException {
    String quoted = "'" + HeaderJson.abbreviate(name) + "'";
    if (name.isEmpty()) {
      throw new SafetensorsException(file, "a tensor has an empty name");
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new SafetensorsException(file, "tensor name " + quoted + " is " + name.length()
          + " characters long, more than " + MAX_NAME_LENGTH);
    }
    if (!(value instanceof Map<?, ?> fields)) {
      throw new SafetensorsException(file, "tensor " + quoted + " is not a JSON object");
    }
    for (Object key : fields.keySet()) {
      if (!Set.of("dtype", "shape", "data_offsets").contains(key)) {
        throw new SafetensorsException(file, "tensor " + quoted + " has an unknown field '"
            + HeaderJson.abbreviate((String) key) + "'");
      }
    }
    if (!(fields.get("dtype") instanceof String dtypeName)) {
      throw new SafetensorsException(file, "tensor " + quoted + " has no dtype string");
    }
    DType dtype = DType.fromSafetensors(dtypeName).orElseThrow(() -> new SafetensorsException(file,
        "tensor " + quoted + " has dtype " + HeaderJson.abbreviate(dtypeName) + ", which Flotilla does not support"
            + " (supported: " + supportedDtypes() + ")"));
    long[] shape = longs(file, quoted, "shape", fields.get("shape"));
    long elements = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new SafetensorsException(file, "tensor " + quoted + " has a negative dimension in shape "
            + java.util.Arrays.toString(shape));
      }
      try {
        elements = Math.multiplyExact(elements, d);
        Math.multiplyExact(elements, (long) dtype.bytes());
      } catch (ArithmeticException overflow) {
        throw new SafetensorsException(file, "tensor " + quoted + " has shape " + java.util.Arrays.toString(shape)
            + ", whose size overflows 64 bits");
      }
    }
    if (elements == 0) {
      throw new SafetensorsException(file, "tensor " + quoted + " has shape " + java.util.Arrays.toString(shape)
          + " with zero elements; Flotilla does not federate empty tensors");
    }
    long[] offsets = longs(file, quoted, "data_offsets", fields.get("data_offsets"));
    if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) {
      throw new SafetensorsException(file, "tensor " + quoted + " has data_offsets " + java.util.Arrays.toString(offsets)
          + "; expected [begin, end] with 0 <= begin <= end");
    }
    return new Entry(new TensorSpec(name, shape, dtype), offsets[0], offsets[1]);
  }

  private static long[] longs(Path file, String tensor, String field, Object value) throws SafetensorsException {
    if (!(value instanceof List<?> list)) {
      throw new SafetensorsException(file, "tensor " + tensor + " has no " + field + " array");
    }
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Long l)) {
        throw new SafetensorsException(file, "tensor " + tensor + " has a " + field + " that is not a list of integers");
      }
      out[i] = l;
    }
    return out;
  }

  private static Map<String, String> metadata(Path file, Object value) throws SafetensorsException {
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafetensorsException(file, METADATA + " is not a JSON object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new SafetensorsException(file, METADATA + " entry '" + HeaderJson.abbreviate((String) e.getKey())
            + "' is not a string");
      }
      out.put((String) e.getKey(), s);
    }
    return out;
  }

  // ---- writing ----

  /** The values match the layout, element by element count. */
  private static void checkWritable(List<TensorSpec> layout, float[][] values) {
    if (values.length != layout.size()) {
      throw new IllegalArgumentException("layout has " + layout.size() + " tensors, values " + values.length);
    }
    for (int t = 0; t < layout.size(); t++) {
      if (values[t].length != layout.get(t).elementCount()) {
        throw new IllegalArgumentException("tensor '" + layout.get(t).name() + "' has " + values[t].length
            + " values, its shape " + layout.get(t).shapeString() + " needs " + layout.get(t).elementCount());
      }
    }
  }

  /** Names unique, non-empty, not reserved, not too long; metadata without nulls (values are checked as written). */
  private static void checkWritable(List<TensorSpec> layout, Map<String, String> metadata) {
    if (layout.isEmpty()) {
      throw new IllegalArgumentException("a model file needs at least one tensor");
    }
    Set<String> names = new HashSet<>();
    for (TensorSpec spec : layout) {
      String name = spec.name();
      if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || name.equals(METADATA) || !names.add(name)) {
        throw new IllegalArgumentException("tensor name '" + HeaderJson.abbreviate(name)
            + "' is empty, longer than " + MAX_NAME_LENGTH + ", reserved or repeated");
      }
      if (spec.elementCount() > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("tensor '" + name + "' has " + spec.elementCount()
            + " values, more than one Java array holds (2^31 - 9)");
      }
    }
    metadata.forEach((k, v) -> {
      if (k == null || v == null) {
        throw new IllegalArgumentException("metadata keys and values must not be null");
      }
    });
  }

  /** The header JSON, in layout order, padded with spaces so the data starts 8-byte aligned. */
  private static byte[] headerJson(List<TensorSpec> layout, Map<String, String> metadata) {
    StringBuilder sb = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      sb.append(quote(METADATA)).append(":{");
      boolean first = true;
      for (Map.Entry<String, String> e : new java.util.TreeMap<>(metadata).entrySet()) {
        sb.append(first ? "" : ",").append(quote(e.getKey())).append(':').append(quote(e.getValue()));
        first = false;
      }
      sb.append("},");
    }
    long offset = 0;
    for (int t = 0; t < layout.size(); t++) {
      TensorSpec spec = layout.get(t);
      long end = offset + spec.fileBytes();
      sb.append(t == 0 ? "" : ",").append(quote(spec.name())).append(":{\"dtype\":\"")
          .append(spec.dtype().safetensorsName()).append("\",\"shape\":[");
      long[] shape = spec.shape();
      for (int i = 0; i < shape.length; i++) {
        sb.append(i == 0 ? "" : ",").append(shape[i]);
      }
      sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
      offset = end;
    }
    sb.append('}');
    byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = java.util.Arrays.copyOf(json, padded);
    java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
    if (out.length > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("header of " + out.length + " bytes exceeds " + MAX_HEADER_BYTES);
    }
    return out;
  }

  private static String quote(String s) {
    return JsonText.quote(new StringBuilder(s.length() + 2), s).toString();
  }

  private static void readFully(Path file, FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new SafetensorsException(file, "ends at byte " + at + " while reading (was it truncated while being read?)");
      }
      at += n;
    }
  }
}
