package dev.flotilla.server.status;

import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's {@link JobSummary} written to {@code --termination-message} when the job ends: in a pod,
 * {@code /dev/termination-log}, which Kubernetes keeps in the pod's status (up to 4096 bytes), so
 * the controller learns the outcome with no network and even if it was down when the job ended.
 * Written in place, not by rename: the kubelet bind-mounts that one file into the container.
 */
public final class TerminationMessage {

  private static final Logger log = LoggerFactory.getLogger(TerminationMessage.class);

  private TerminationMessage() {}

  /** Writes the summary of {@code status}; a failure is logged, never fatal (the job itself is done). */
  public static void write(Path file, JobStatus status) {
    String json = StatusJson.writeSummary(JobSummary.of(status));
    try {
      Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
      log.info("job {}: summary written to {}: {}", status.jobId(), file, json);
    } catch (IOException | RuntimeException e) {
      log.warn("job {}: cannot write the summary to {}: {}", status.jobId(), file, e.toString());
    }
  }
}
