package dev.flotilla.controller.operator;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes core/v1 Events about jobs; never fails a reconcile because an Event could not be written. */
public final class EventRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  private final KubernetesClient client;
  private final Clock clock;

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  public void normal(IflearnerJob job, String reason, String message) {
    record(job, "Normal", reason, message);
  }

  public void warning(IflearnerJob job, String reason, String message) {
    record(job, "Warning", reason, message);
  }

  /**
   * A Warning for a refusal, unless the job's status already reports the same condition with the
   * same reason and message: a refusal that stands is one Event, not one per resync.
   */
  public void warningUnlessReported(IflearnerJob job, Observation refusal) {
    String status = refusal.ready() ? "True" : "False";
    boolean reported = job.getStatus() != null && job.getStatus().getConditions() != null
        && job.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals(refusal.type())
            && status.equals(c.getStatus()) && refusal.reason().equals(c.getReason()) && refusal.message().equals(c.getMessage()));
    if (!reported) {
      warning(job, refusal.reason(), refusal.message());
    }
  }

  private void record(IflearnerJob job, String type, String reason, String message) {
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    Event event = new EventBuilder()
        .withNewMetadata()
        .withName(job.getMetadata().getName() + "." + Long.toHexString(clock.millis())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000)))
        .withNamespace(job.getMetadata().getNamespace())
        .endMetadata()
        .withInvolvedObject(new ObjectReferenceBuilder()
            .withApiVersion(IflearnerJob.API_VERSION)
            .withKind(IflearnerJob.KIND)
            .withNamespace(job.getMetadata().getNamespace())
            .withName(job.getMetadata().getName())
            .withUid(job.getMetadata().getUid())
            .withResourceVersion(job.getMetadata().getResourceVersion())
            .build())
        .withType(type)
        .withReason(reason)
        .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .withNewSource().withComponent(JobModel.FIELD_MANAGER).endSource()
        .build();
    try {
      client.v1().events().inNamespace(job.getMetadata().getNamespace()).resource(event).create();
    } catch (RuntimeException e) {
      LOG.warn("{}/{}: could not record event {}: {}", job.getMetadata().getNamespace(), job.getMetadata().getName(), reason, e.toString());
    }
  }
}
