package dev.flotilla.controller.model;

import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.protocol.status.InvalidStatusException;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What the job's pod says about the job: its phase (Pending, Running, Succeeded, Failed), the
 * {@value StatusModel#POD_READY} observation, and, for a Flotilla aggregator that ended, the
 * {@link JobSummary} it wrote to its termination message ({@code --termination-message}), which
 * Kubernetes keeps in the container's terminated state. Pure: the pod as the informer or the API
 * server gave it, nothing else.
 *
 * <p>Succeeded means the pod ended with exit 0 and, for a Flotilla aggregator, that its summary says
 * every round was done. Failed means it cannot come back: the pod failed (restartPolicy Never, or
 * the kubelet gave up), or an aggregator exited 0 without finishing or without a readable summary. A
 * container that keeps crashing under restartPolicy OnFailure is still Running: it may yet succeed.
 */
public record PodOutcome(String phase, Observation podReady, Optional<JobSummary> summary) {

  public static final String RUNNING = "Running";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";

  public static final String IMAGE_PULL_FAILED = "ImagePullFailed";
  public static final String CRASH_LOOP = "CrashLoopBackOff";
  public static final String COMPLETED = "Completed";
  public static final String UNFINISHED = "Unfinished";
  public static final String NO_SUMMARY = "NoSummary";
  public static final String POD_FAILED = "PodFailed";
  public static final String ENDED = "Ended";

  /** PodReady reasons that are failures or refusals the job's owner must act on: each is a Warning Event. */
  public static final Set<String> WARNINGS = Set.of(IMAGE_PULL_FAILED, CRASH_LOOP, UNFINISHED, NO_SUMMARY, POD_FAILED);

  /** The kubelet's waiting reasons for an image it cannot get. */
  static final Set<String> PULL_REASONS = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
      "RegistryUnavailable");

  /** The most of a container's own message (or its log tail) copied into a condition. */
  static final int MAX_DETAIL = 300;

  /**
   * True when the job's status says it ended (Succeeded or Failed) for its current generation: its
   * pod is then left as it is, and not made again when it is gone.
   */
  public static boolean ended(dev.flotilla.controller.api.IflearnerJob job) {
    var status = job.getStatus();
    return status != null && (SUCCEEDED.equals(status.getPhase()) || FAILED.equals(status.getPhase()))
        && java.util.Objects.equals(status.getObservedGeneration(), job.getMetadata().getGeneration());
  }

  /** The outcome of an ended job whose pod is gone: the phase it ended with. */
  public static PodOutcome endedWithoutPod(dev.flotilla.controller.api.IflearnerJob job) {
    return new PodOutcome(job.getStatus().getPhase(), new Observation(StatusModel.POD_READY, false, ENDED, "the job ended ("
        + job.getStatus().getPhase() + ") and its pod is gone; it is not made again: edit spec.template or re-create the job "
        + "to run it again"), Optional.empty());
  }

  /** The outcome of {@code pod} (null: not made yet) for {@code job}. */
  public static PodOutcome of(JobModel job, Pod pod) {
    if (pod == null) {
      return pending(new Observation(StatusModel.POD_READY, false, "PodMissing", "the pod does not exist yet"));
    }
    String name = pod.getMetadata().getName();
    String phase = pod.getStatus() == null || pod.getStatus().getPhase() == null ? "Pending" : pod.getStatus().getPhase();
    Optional<ContainerStatus> pulling = containerStatuses(pod).stream().filter(s -> s.getState() != null
        && s.getState().getWaiting() != null && PULL_REASONS.contains(s.getState().getWaiting().getReason())).findFirst();
    if (pulling.isPresent() && !phase.equals(SUCCEEDED) && !phase.equals(FAILED)) {
      ContainerStatus s = pulling.get();
      // stable wording (the kubelet alternates ErrImagePull and ImagePullBackOff): one Event, not one per retry
      return pending(new Observation(StatusModel.POD_READY, false, IMAGE_PULL_FAILED, "cannot pull image " + s.getImage()
          + " for container " + s.getName() + " of pod " + name + " (" + String.join(" / ", kubeletReasons(s)) + "): check the "
          + "image name and tag, that the node can reach its registry, and imagePullSecrets; 'kubectl describe pod " + name
          + "' shows the registry's answer"));
    }
    boolean aggregator = job.role() == Role.SERVER && job.usesFlotillaRuntime();
    switch (phase) {
      case SUCCEEDED -> {
        if (!aggregator) {
          return new PodOutcome(SUCCEEDED, new Observation(StatusModel.POD_READY, false, COMPLETED,
              "pod " + name + " completed (exit 0)"), Optional.empty());
        }
        return finishedAggregator(job, pod, name);
      }
      case FAILED -> {
        ContainerStateTerminated t = terminated(job, pod);
        Optional<JobSummary> summary = aggregator ? readSummary(t).summary() : Optional.empty();
        return new PodOutcome(FAILED, new Observation(StatusModel.POD_READY, false, POD_FAILED, "pod " + name + " failed"
            + describe(t) + (pod.getStatus().getMessage() == null ? "" : ": " + detail(pod.getStatus().getMessage()))), summary);
      }
      case RUNNING -> {
        Optional<ContainerStatus> crashing = containerStatuses(pod).stream().filter(s -> s.getState() != null
            && s.getState().getWaiting() != null && CRASH_LOOP.equals(s.getState().getWaiting().getReason())).findFirst();
        if (crashing.isPresent()) {
          ContainerStatus s = crashing.get();
          ContainerStateTerminated last = s.getLastState() == null ? null : s.getLastState().getTerminated();
          return new PodOutcome(RUNNING, new Observation(StatusModel.POD_READY, false, CRASH_LOOP, "container " + s.getName()
              + " of pod " + name + " keeps failing and is restarted with back-off" + describe(last)), Optional.empty());
        }
        return new PodOutcome(RUNNING, readiness(pod, name, phase), Optional.empty());
      }
      default -> {
        return pending(readiness(pod, name, phase));
      }
    }
  }

  private static PodOutcome finishedAggregator(JobModel job, Pod pod, String name) {
    ContainerStateTerminated t = terminated(job, pod);
    Summary read = readSummary(t);
    if (read.summary().isEmpty()) {
      return new PodOutcome(FAILED, new Observation(StatusModel.POD_READY, false, NO_SUMMARY, "the aggregator in pod " + name
          + " exited 0 without a readable summary in its termination message (" + read.problem() + ")"), Optional.empty());
    }
    JobSummary s = read.summary().get();
    if (!s.finished()) {
      return new PodOutcome(FAILED, new Observation(StatusModel.POD_READY, false, UNFINISHED, "the aggregator in pod " + name
          + " ended after " + s.roundsCompleted() + " of " + s.roundsTotal() + " rounds"), read.summary());
    }
    return new PodOutcome(SUCCEEDED, new Observation(StatusModel.POD_READY, false, COMPLETED, "the aggregator in pod " + name
        + " finished " + s.roundsCompleted() + " of " + s.roundsTotal() + " rounds"
        + (s.endReason() == null ? "" : " (" + s.endReason() + ")")
        + (s.finalAccuracy() == null ? "" : String.format(Locale.ROOT, ", final accuracy %.4f", s.finalAccuracy()))), read.summary());
  }

  private record Summary(Optional<JobSummary> summary, String problem) {}

  private static Summary readSummary(ContainerStateTerminated t) {
    if (t == null) {
      return new Summary(Optional.empty(), "the container has no terminated state");
    }
    if (t.getMessage() == null || t.getMessage().isBlank()) {
      return new Summary(Optional.empty(), "the message is empty");
    }
    try {
      return new Summary(Optional.of(StatusJson.readSummary(t.getMessage())), null);
    } catch (InvalidStatusException e) {
      return new Summary(Optional.empty(), "the message " + e.getMessage());
    }
  }

  /** The terminated state of the job's first container (the runtime), or null. */
  static ContainerStateTerminated terminated(JobModel job, Pod pod) {
    String first = job.firstContainer().getName();
    return containerStatuses(pod).stream().filter(s -> first.equals(s.getName()) && s.getState() != null)
        .map(s -> s.getState().getTerminated()).filter(t -> t != null).findFirst().orElse(null);
  }

  private static PodOutcome pending(Observation o) {
    return new PodOutcome("Pending", o, Optional.empty());
  }

  private static Observation readiness(Pod pod, String name, String phase) {
    if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
      for (PodCondition c : pod.getStatus().getConditions()) {
        if ("Ready".equals(c.getType())) {
          boolean ready = "True".equals(c.getStatus());
          return new Observation(StatusModel.POD_READY, ready, ready ? "PodReady" : "PodNotReady",
              c.getMessage() != null ? c.getMessage() : "pod " + name + " Ready=" + c.getStatus());
        }
      }
    }
    return new Observation(StatusModel.POD_READY, false, "PodNotReady",
        "pod " + name + " is " + phase + " and has not reported Ready (not scheduled or not started)");
  }

  private static List<ContainerStatus> containerStatuses(Pod pod) {
    List<ContainerStatus> all = new ArrayList<>();
    if (pod.getStatus() != null) {
      if (pod.getStatus().getInitContainerStatuses() != null) {
        all.addAll(pod.getStatus().getInitContainerStatuses());
      }
      if (pod.getStatus().getContainerStatuses() != null) {
        all.addAll(pod.getStatus().getContainerStatuses());
      }
    }
    return all;
  }

  private static List<String> kubeletReasons(ContainerStatus s) {
    String reason = s.getState().getWaiting().getReason();
    return reason.equals("ErrImagePull") || reason.equals("ImagePullBackOff") ? List.of("ErrImagePull", "ImagePullBackOff") : List.of(reason);
  }

  /** ": exit code N (reason): message" of a terminated state, bounded; empty when unknown. */
  private static String describe(ContainerStateTerminated t) {
    if (t == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(": exit code ").append(t.getExitCode());
    if (t.getReason() != null) {
      b.append(" (").append(detail(t.getReason())).append(')');
    }
    if (t.getMessage() != null && !t.getMessage().isBlank()) {
      b.append(": ").append(detail(t.getMessage()));
    }
    return b.toString();
  }

  /** A container's own text (a log tail, perhaps), on one line and at most {@link #MAX_DETAIL} characters. */
  static String detail(String text) {
    String line = text.strip().replaceAll("[\\p{Cntrl}&&[^\t]]+", " | ").replace('\t', ' ');
    return line.length() <= MAX_DETAIL ? line : "..." + line.substring(line.length() - MAX_DETAIL);
  }
}
