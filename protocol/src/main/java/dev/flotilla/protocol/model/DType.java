package dev.flotilla.protocol.model;

import dev.flotilla.protocol.v1.TensorInfo;
import java.util.Arrays;
import java.util.Optional;

/**
 * How a model file stores a tensor. Aggregation always works on float32 values; the dtype says
 * what the values are converted from when a model is read and back to when it is exported, so an
 * exported model has the dtypes of the initial one.
 */
public enum DType {
  F32("F32", 4, TensorInfo.DType.FLOAT32, false),
  F16("F16", 2, TensorInfo.DType.FLOAT16, false),
  BF16("BF16", 2, TensorInfo.DType.BFLOAT16, false),
  F64("F64", 8, TensorInfo.DType.FLOAT64, false),
  /** Integers (e.g. BatchNorm's num_batches_tracked) are averaged as floats and rounded on export. */
  I64("I64", 8, TensorInfo.DType.INT64, true),
  I32("I32", 4, TensorInfo.DType.INT32, true);

  private final String safetensorsName;
  private final int bytes;
  private final TensorInfo.DType wire;
  private final boolean integer;

  DType(String safetensorsName, int bytes, TensorInfo.DType wire, boolean integer) {
    this.safetensorsName = safetensorsName;
    this.bytes = bytes;
    this.wire = wire;
    this.integer = integer;
  }

  /** The dtype string of the safetensors header, e.g. "F32". */
  public String safetensorsName() {
    return safetensorsName;
  }

  /** Bytes per element in a model file. */
  public int bytes() {
    return bytes;
  }

  public boolean isInteger() {
    return integer;
  }

  public TensorInfo.DType toWire() {
    return wire;
  }

  public static DType fromWire(TensorInfo.DType wire) {
    for (DType d : values()) {
      if (d.wire == wire) {
        return d;
      }
    }
    throw new IllegalArgumentException("unsupported tensor dtype " + wire);
  }

  /** The dtype of a safetensors header string, if Flotilla supports it. */
  public static Optional<DType> fromSafetensors(String name) {
    return Arrays.stream(values()).filter(d -> d.safetensorsName.equals(name)).findFirst();
  }
}
