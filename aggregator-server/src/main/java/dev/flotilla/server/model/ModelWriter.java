package dev.flotilla.server.model;

import java.io.IOException;

/** Receives a model's values block by block (tensor by tensor in layout order, offsets ascending). */
public interface ModelWriter {

  /** Takes {@code count} values of {@code tensor} from element {@code offset}, copied from {@code src[at..]}. */
  void write(int tensor, int offset, float[] src, int at, int count) throws IOException;
}
