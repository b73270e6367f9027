package dev.flotilla.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.flotilla.protocol.model.SafetensorsHeader;
import dev.flotilla.protocol.tensor.TensorChunks;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The benchmark's parties: each announces 100 samples and sends the same update, sliced from one
 * read-only mapping of the initial model's data section (exactly the wire's float32 little-endian
 * layout), so the sending process stays small whatever the number of parties.
 */
final class MappedUpdate implements FleetScript {

  /** Bytes per mapping of the model file: a multiple of the chunk size, so no chunk straddles two. */
  private static final long SEGMENT_BYTES = 1024L * TensorChunks.MAX_CHUNK_BYTES;

  private final List<ByteString> chunks;

  private MappedUpdate(List<ByteString> chunks) {
    this.chunks = chunks;
  }

  /** Maps the data section of {@code modelFile} (float32 only) in chunks of {@code chunkBytes}. */
  static MappedUpdate of(Path modelFile, SafetensorsHeader model, int chunkBytes) throws IOException {
    if (chunkBytes <= 0 || chunkBytes > TensorChunks.MAX_CHUNK_BYTES || chunkBytes % Float.BYTES != 0
        || SEGMENT_BYTES % chunkBytes != 0) {
      throw new IllegalArgumentException("chunk size " + chunkBytes + " must divide " + TensorChunks.MAX_CHUNK_BYTES
          + " into whole float32 values");
    }
    List<ByteString> chunks = new ArrayList<>();
    try (FileChannel file = FileChannel.open(modelFile, StandardOpenOption.READ)) {
      long end = model.dataStart() + model.dataBytes();
      for (long segment = model.dataStart(); segment < end; segment += SEGMENT_BYTES) {
        MappedByteBuffer mapped = file.map(FileChannel.MapMode.READ_ONLY, segment, Math.min(SEGMENT_BYTES, end - segment));
        for (int at = 0; at < mapped.capacity(); at += chunkBytes) {
          int n = Math.min(chunkBytes, mapped.capacity() - at);
          chunks.add(UnsafeByteOperations.unsafeWrap(mapped.slice(at, n).asReadOnlyBuffer()));
        }
      }
    }
    return new MappedUpdate(chunks);
  }

  @Override
  public long samples(int party) {
    return 100;
  }

  @Override
  public Iterator<ByteString> update(int party, int round) {
    return chunks.iterator();
  }
}
