package dev.flotilla.controller.operator.steps;

/** A step that cannot do its work for a reason of its own naming (the condition's reason and the Event's). */
public final class StepFailure extends RuntimeException {

  private final String reason;

  public StepFailure(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
