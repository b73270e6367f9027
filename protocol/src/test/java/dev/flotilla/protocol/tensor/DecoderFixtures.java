package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/** What the decoder tests share: chunks made of many buffers, and a sink that records what it got. */
final class DecoderFixtures {

  private DecoderFixtures() {}

  /** The bytes as a chunk made of buffers of the given sizes (as a chunk parsed without copying is), direct and heap alternating. */
  static ByteString rope(byte[] bytes, int from, int to, int... pieces) {
    ByteString out = ByteString.EMPTY;
    int at = from;
    for (int i = 0; at < to; i++) {
      int n = Math.min(pieces[i % pieces.length], to - at);
      ByteBuffer b = i % 2 == 0 ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
      b.put(bytes, at, n).flip();
      out = out.concat(UnsafeByteOperations.unsafeWrap(b));
      at += n;
    }
    return out;
  }

  /** Records what a sink received, value by value, into arrays of the given tensor sizes. */
  static final class Recorder implements TensorStreamDecoder.Sink {
    final float[][] got;
    int calls;
    int largest;

    Recorder(int... sizes) {
      got = new float[sizes.length][];
      for (int t = 0; t < sizes.length; t++) {
        got[t] = new float[sizes[t]];
      }
    }

    @Override
    public void accept(int tensor, int offset, FloatBuffer values, int count) {
      calls++;
      largest = Math.max(largest, count);
      for (int i = 0; i < count; i++) {
        got[tensor][offset + i] = values.get(values.position() + i);
      }
    }
  }
}
