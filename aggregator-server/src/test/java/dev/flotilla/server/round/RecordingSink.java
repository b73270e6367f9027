package dev.flotilla.server.round;

import dev.flotilla.server.aggregation.UpdateSink;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/** An update sink that keeps what it was given, for tests of the upload path. */
final class RecordingSink implements UpdateSink {

  /** One accepted block: tensor, offset and the values. */
  record Block(int tensor, int offset, float[] values) {}

  final List<Block> blocks = new ArrayList<>();
  boolean committed;
  boolean discarded;

  @Override
  public void accept(int tensor, int offset, FloatBuffer values, int count) {
    float[] copy = new float[count];
    values.get(values.position(), copy, 0, count);
    blocks.add(new Block(tensor, offset, copy));
  }

  @Override
  public String commit() {
    committed = true;
    return "note";
  }

  @Override
  public void discard() {
    discarded = true;
  }
}
