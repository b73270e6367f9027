package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.protocol.status.JobSummary;
import java.util.concurrent.CompletableFuture;

/** Asks one aggregator for its progress; the answer (or why there is none) completes the future. */
@FunctionalInterface
public interface ProgressSource {
  CompletableFuture<JobSummary> fetch(ProgressTarget target);
}
