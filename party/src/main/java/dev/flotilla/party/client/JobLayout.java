package dev.flotilla.party.client;

import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.v1.JoinResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The job's tensor layout as the server announces it in Join. The server is a peer, not a
 * trusted source: a layout of repeated names, or more float32 values than this party's heap can
 * hold, is refused here with a message instead of failing later in an OutOfMemoryError or in
 * writing a model file.
 */
final class JobLayout {
  private JobLayout() {}

  /**
   * @param heapBytes the most memory this JVM may use ({@code Runtime.maxMemory()})
   * @throws IllegalArgumentException saying what is wrong with the announced layout
   */
  static List<TensorSpec> of(JoinResponse join, long heapBytes) {
    // a server from before issue 12 sends no layout: its model is a built-in
    List<TensorSpec> layout = join.getTensorsCount() > 0
        ? join.getTensorsList().stream().map(TensorSpec::fromInfo).toList()
        : ModelSpecs.forName(join.getModel());
    Set<String> names = new HashSet<>();
    long values = 0;
    for (TensorSpec spec : layout) {
      if (spec.name().isEmpty() || !names.add(spec.name())) {
        throw new IllegalArgumentException("the server's layout names tensor '" + spec.name() + "' "
            + (spec.name().isEmpty() ? "with an empty name" : "twice"));
      }
      try {
        spec.numElements();
        values = Math.addExact(values, spec.elementCount());
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("the server's layout has tensor '" + spec.name() + "' of shape "
            + spec.shapeString() + ", more values than a Java array holds");
      }
    }
    // the global model as float32 alone, before any copy a trainer makes
    if (values > heapBytes / Float.BYTES) {
      throw new IllegalArgumentException("the server's layout has " + layout.size() + " tensors of " + values
          + " values (" + (values * Float.BYTES >> 20) + " MiB as float32), more than this party's heap of "
          + (heapBytes >> 20) + " MiB holds (raise -Xmx if the job really is that large)");
    }
    return layout;
  }
}
