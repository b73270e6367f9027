package dev.flotilla.controller.operator;

/** What one desired-vs-actual step did. */
public enum ApplyOutcome {
  CREATED,
  PATCHED,
  UNCHANGED,
  DELETED,
  /** The pod's template changed: the old pod is being deleted, the new one follows. */
  REPLACING
}
