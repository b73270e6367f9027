package dev.flotilla.protocol.tensor;

import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.Encoding;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * How an update's float32 values travel: as they are, or narrowed to 2 bytes ({@link HalfFloats}),
 * which halves the bytes uploaded and costs precision (bfloat16 keeps 8 significant bits, fp16 11
 * within its range). The job chooses (the server's {@code --update-encoding}); the server widens
 * every value back to float32 before it checks and aggregates it, so strategies never see the
 * difference. The global model is always sent as float32.
 */
public enum WireEncoding {
  FLOAT32("float32", Encoding.FLOAT32, Float.BYTES),
  BFLOAT16("bf16", Encoding.BFLOAT16, 2),
  FLOAT16("fp16", Encoding.FLOAT16, 2);

  /** The names {@link #parse} accepts, for flags and their help. */
  public static final List<String> NAMES = Arrays.stream(values()).map(WireEncoding::flagName).toList();

  private final String flagName;
  private final Encoding proto;
  private final int bytesPerValue;

  WireEncoding(String flagName, Encoding proto, int bytesPerValue) {
    this.flagName = flagName;
    this.proto = proto;
    this.bytesPerValue = bytesPerValue;
  }

  /** "float32", "bf16", "fp16": the value of --update-encoding. */
  public String flagName() {
    return flagName;
  }

  public Encoding proto() {
    return proto;
  }

  public int bytesPerValue() {
    return bytesPerValue;
  }

  /** The encoding of a flag value ("float32", "bf16", "fp16"; case ignored). */
  public static WireEncoding parse(String flag) {
    for (WireEncoding e : values()) {
      if (e.flagName.equalsIgnoreCase(flag) || e.name().equalsIgnoreCase(flag)) {
        return e;
      }
    }
    throw new IllegalArgumentException("update encoding '" + flag + "' is not one of " + NAMES);
  }

  /**
   * The encoding of a wire value.
   *
   * @throws IllegalArgumentException for one that carries no float values (fixed point) or is unknown
   */
  public static WireEncoding of(Encoding encoding) {
    for (WireEncoding e : values()) {
      if (e.proto == encoding) {
        return e;
      }
    }
    throw new IllegalArgumentException("update encoding " + encoding + " is not one of "
        + Arrays.stream(values()).map(WireEncoding::proto).toList());
  }

  /** The float32 a value arrives as on the server: narrowed and widened again (itself for FLOAT32). */
  public float round(float value) {
    return switch (this) {
      case FLOAT32 -> value;
      case BFLOAT16 -> HalfFloats.bfloat16ToFloat(HalfFloats.toBfloat16(value));
      case FLOAT16 -> HalfFloats.float16ToFloat(HalfFloats.toFloat16(value));
    };
  }

  /** Writes {@code values[from..from+count)} in this encoding at the buffer's position (little-endian), advancing it. */
  void encode(float[] values, int from, int count, ByteBuffer into) {
    switch (this) {
      case FLOAT32 -> into.asFloatBuffer().put(values, from, count);
      case BFLOAT16 -> {
        ShortBuffer out = into.asShortBuffer();
        for (int i = 0; i < count; i++) {
          out.put(i, HalfFloats.toBfloat16(values[from + i]));
        }
      }
      case FLOAT16 -> {
        ShortBuffer out = into.asShortBuffer();
        for (int i = 0; i < count; i++) {
          out.put(i, HalfFloats.toFloat16(values[from + i]));
        }
      }
    }
    into.position(into.position() + count * bytesPerValue);
  }

  /** The float32 bit patterns of {@code halves[0..count)} of a 2-byte encoding into {@code bits}. */
  void widen(short[] halves, int count, int[] bits) {
    switch (this) {
      case BFLOAT16 -> {
        for (int i = 0; i < count; i++) {
          bits[i] = HalfFloats.bfloat16ToFloatBits(halves[i]);
        }
      }
      case FLOAT16 -> {
        for (int i = 0; i < count; i++) {
          bits[i] = HalfFloats.float16ToFloatBits(halves[i]);
        }
      }
      case FLOAT32 -> throw new IllegalStateException("float32 values are not widened");
    }
  }

  /**
   * Checks that every finite value of the tensors stays finite in this encoding (only fp16, beyond
   * 65504, and bfloat16 within half a step of {@link Float#MAX_VALUE} can fail); a party runs it
   * before it uploads, since the server refuses an infinity and a clamped value would be a wrong one.
   *
   * @throws TensorStreamException naming the first value out of range, its tensor and element
   */
  public void requireEncodable(List<TensorSpec> specs, float[][] tensors) throws TensorStreamException {
    if (this == FLOAT32) {
      return;
    }
    for (int t = 0; t < tensors.length; t++) {
      float[] values = tensors[t];
      for (int i = 0; i < values.length; i++) {
        if (Float.isFinite(values[i]) && !Float.isFinite(round(values[i]))) {
          throw new TensorStreamException("tensor '" + specs.get(t).name() + "' element " + i + " is " + values[i]
              + ", beyond the range of " + describe() + " (largest finite " + largestFinite() + ")");
        }
      }
    }
  }

  /** "float32", "bfloat16", "float16": the value type, for messages. */
  public String describe() {
    return switch (this) {
      case FLOAT32 -> "float32";
      case BFLOAT16 -> "bfloat16";
      case FLOAT16 -> "float16";
    };
  }

  private String largestFinite() {
    float max = this == FLOAT16 ? HalfFloats.float16ToFloat((short) 0x7bff) : HalfFloats.bfloat16ToFloat((short) 0x7f7f);
    return this == FLOAT16 ? Integer.toString((int) max) : Float.toString(max);
  }
}
