package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.EventRecorder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job's steps in order. Each step either acts and reports its condition, or waits (a step it
 * needs reported False: its condition says what it waits for), or fails (its condition False with
 * the failure's reason, a Warning Event, and the reconcile reports failure so it is retried with
 * backoff). A failure of one step never stops the steps that do not need it.
 */
public final class StepChain {

  private static final Logger LOG = LoggerFactory.getLogger(StepChain.class);

  private final List<ReconcileStep> steps;
  private final EventRecorder events;

  public StepChain(EventRecorder events, List<ReconcileStep> steps) {
    this.events = events;
    this.steps = List.copyOf(steps);
  }

  public List<ReconcileStep> steps() {
    return steps;
  }

  public void run(JobContext context) {
    JobModel model = context.model();
    Set<ReconcileStep> done = new HashSet<>();
    for (ReconcileStep step : steps) {
      String type = step.conditionType(model);
      List<Observation> unmet = new ArrayList<>();
      for (ReconcileStep needed : step.needs(model)) {
        if (!done.contains(needed)) {
          throw new IllegalStateException(step.getClass().getSimpleName() + " needs " + needed.getClass().getSimpleName()
              + ", which does not run before it");
        }
        Observation o = context.observation(needed.conditionType(model));
        if (o != null && !o.ready()) {
          unmet.add(o);
        }
      }
      try {
        Observation observed = unmet.isEmpty() ? step.reconcile(context) : step.whileWaiting(context, waiting(type, unmet));
        if (!unmet.isEmpty()) {
          LOG.info("{}: {} waits: {}", model.ref(), type, observed.message());
        }
        if (observed != null) {
          context.observe(observed);
        }
      } catch (StepFailure e) {
        fail(context, type, e.reason(), e);
      } catch (RuntimeException e) {
        fail(context, type, step.failureReason(model), e);
      }
      done.add(step);
    }
  }

  /** The condition of a step that waits: False, reason {@code WaitingFor<first unmet type>}, naming every unmet one and why. */
  static Observation waiting(String type, List<Observation> unmet) {
    List<String> parts = new ArrayList<>();
    for (Observation o : unmet) {
      parts.add(o.type() + " (" + o.reason() + ": " + o.message() + ")");
    }
    return new Observation(type, false, "WaitingFor" + unmet.get(0).type(), "waits for " + String.join("; ", parts));
  }

  private void fail(JobContext context, String type, String reason, RuntimeException e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    LOG.warn("{}: {}: {}", context.model().ref(), reason, message, e);
    context.observe(new Observation(type, false, reason, message));
    events.warning(context.job(), reason, message);
    context.failed(reason + ": " + message);
  }
}
