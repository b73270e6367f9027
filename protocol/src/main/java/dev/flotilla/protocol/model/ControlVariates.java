package dev.flotilla.protocol.model;

import java.util.ArrayList;
import java.util.List;

/**
 * SCAFFOLD's control variates inside a job's layout: the server appends, for every model tensor
 * {@code w}, a tensor {@code scaffold.c:w} of the same shape holding the global control variate c.
 * It travels with the model to the parties, is checkpointed and exported with it; an update carries,
 * in the same places, what the party's new control variate adds to c. A layout with such tensors is
 * a SCAFFOLD job's; one without is any other.
 */
public final class ControlVariates {

  /** The prefix of a control variate's tensor name. */
  public static final String PREFIX = "scaffold.c:";

  private ControlVariates() {}

  /** {@code model} followed by a float32 control variate per tensor, same shapes. */
  public static List<TensorSpec> append(List<TensorSpec> model) {
    List<TensorSpec> all = new ArrayList<>(model);
    for (TensorSpec t : model) {
      if (t.name().startsWith(PREFIX)) {
        throw new IllegalArgumentException("the model already has control variates (tensor '" + t.name() + "')");
      }
      all.add(new TensorSpec(PREFIX + t.name(), t.shape()).withDtype(DType.F32));
    }
    return List.copyOf(all);
  }

  /**
   * How many leading tensors of {@code layout} are the model's: all of them without control
   * variates, half of them with.
   *
   * @throws IllegalArgumentException when the control variates do not mirror the model's tensors
   */
  public static int modelTensors(List<TensorSpec> layout) {
    if (layout.stream().noneMatch(t -> t.name().startsWith(PREFIX))) {
      return layout.size();
    }
    int n = layout.size() / 2;
    if (layout.size() % 2 != 0) {
      throw new IllegalArgumentException("the layout has control variates but an odd number of tensors");
    }
    for (int t = 0; t < n; t++) {
      TensorSpec model = layout.get(t);
      TensorSpec control = layout.get(n + t);
      if (!control.name().equals(PREFIX + model.name()) || !java.util.Arrays.equals(control.shape(), model.shape())) {
        throw new IllegalArgumentException("tensor " + (n + t) + " of the layout is " + control + ", not the control "
            + "variate of " + model);
      }
    }
    return n;
  }

  /** Whether {@code layout} carries control variates (a SCAFFOLD job). */
  public static boolean present(List<TensorSpec> layout) {
    return modelTensors(layout) < layout.size();
  }
}
