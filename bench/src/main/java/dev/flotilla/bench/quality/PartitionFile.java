package dev.flotilla.bench.quality;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.flotilla.common.AtomicFiles;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.data.Partitioner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The split every party of a job computes for itself ({@link Partitioner#part}), written out whole: for
 * each part its index, size, per-label counts and ascending sample indices into the training set. The
 * benchmark's PyTorch reference trains on exactly these parts.
 *
 * @param partition the scheme as the party spells it ({@code iid}, {@code dirichlet:0.5}, {@code labels:2})
 * @param seed the party's {@code --seed}
 * @param samples size of the data set that was split
 * @param parts the sample indices of part 0, 1, ...
 */
public record PartitionFile(String partition, long seed, int samples, List<int[]> parts, List<int[]> labelCounts) {

  /** The split of {@code data} into {@code count} parts that parties started with these options use. */
  public static PartitionFile of(ImageDataset data, String scheme, int count, long seed) {
    Partitioner partitioner = Partitioner.parse(scheme);
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1, got " + count);
    }
    List<int[]> parts = partitioner.split(data, count, seed);
    int classes = data.classCount();
    List<int[]> counts = parts.stream().map(part -> {
      int[] perLabel = new int[classes];
      for (int index : part) {
        perLabel[data.classOf(index)]++;
      }
      return perLabel;
    }).toList();
    return new PartitionFile(partitioner.describe(), seed, data.size(), parts, counts);
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("format", 1);
    o.addProperty("partition", partition);
    o.addProperty("count", parts.size());
    o.addProperty("seed", seed);
    o.addProperty("samples", samples);
    JsonArray array = new JsonArray();
    for (int p = 0; p < parts.size(); p++) {
      JsonObject part = new JsonObject();
      part.addProperty("index", p);
      part.addProperty("samples", parts.get(p).length);
      part.add("label_counts", ints(labelCounts.get(p)));
      part.add("indices", ints(parts.get(p)));
      array.add(part);
    }
    o.add("parts", array);
    return o;
  }

  /** Writes the file atomically (a temporary file beside it, then a move). */
  public void writeTo(Path file) {
    Path target = file.toAbsolutePath();
    try {
      AtomicFiles.writeString(target, new GsonBuilder().create().toJson(toJson()) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the partition file " + target + ": " + e.getMessage(), e);
    }
  }

  private static JsonArray ints(int[] values) {
    JsonArray array = new JsonArray(values.length);
    for (int v : values) {
      array.add(v);
    }
    return array;
  }
}
