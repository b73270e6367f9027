package dev.flotilla.protocol.tensor;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A received chunk's bytes as buffers over its own arrays, without a copy. A {@link ByteString}
 * only hands out read-only buffers, which hide their array: the Vector API then loads through the
 * generic buffer path, which ran the fold at 0.75-0.8 of loading from the array (BENCHMARKS.md,
 * session 6). The chunks the server receives wrap arrays of their own ({@code
 * UpdateChunkMarshaller}, the bulk-upload port), so the array is there to be read. The buffers are
 * writable only because Java has no read-only buffer that shows its array: nobody writes into them.
 */
final class ChunkViews {

  private ChunkViews() {}

  /** The chunk's bytes in order: views of its arrays (or of its own buffers), copies only of what protobuf hands over transiently. */
  static List<ByteBuffer> of(ByteString data) {
    List<ByteBuffer> parts = new ArrayList<>(1);
    try {
      UnsafeByteOperations.unsafeWriteTo(data, new ByteOutput() {
        @Override
        public void write(byte value) {
          parts.add(ByteBuffer.wrap(new byte[] {value}));
        }

        @Override
        public void write(byte[] value, int offset, int length) {
          parts.add(ByteBuffer.wrap(Arrays.copyOfRange(value, offset, offset + length)));
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
          parts.add(ByteBuffer.wrap(value, offset, length).slice());
        }

        @Override
        public void write(ByteBuffer value) {
          ByteBuffer copy = ByteBuffer.allocate(value.remaining());
          copy.put(value.duplicate()).flip();
          parts.add(copy);
        }

        @Override
        public void writeLazy(ByteBuffer value) {
          parts.add(value.slice());
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e); // the output above throws none
    }
    return parts;
  }
}
