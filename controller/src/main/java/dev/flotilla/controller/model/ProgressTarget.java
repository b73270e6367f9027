package dev.flotilla.controller.model;

import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Optional;

/**
 * Where and how the controller reads a running aggregator's progress (JobObserver.Progress): the
 * pod's own address and the job's gRPC port, TLS to the job's host name (the name in the
 * aggregator's certificate, and the SNI), the aggregator of the job's identity expected on the other
 * end, and the CA of the job's namespace and domain on both sides. Only a Flotilla aggregator that
 * ends TLS itself (passthrough) and whose pod runs with an address has one.
 *
 * @param jobKey {@code namespace/name} of the IflearnerJob
 * @param address {@code podIP:port}
 * @param serverName the job's host, which the aggregator's certificate carries
 * @param domain the trust domain (the CA's and the controller identity's)
 * @param identityJob the job segment of the aggregator's identity
 * @param namespace the job's namespace (its CA is per namespace and domain)
 */
public record ProgressTarget(String jobKey, String address, String serverName, String domain, String identityJob,
    String namespace) {

  /** The target of a job whose pod is {@code pod}, or empty when the controller has nothing to poll. */
  public static Optional<ProgressTarget> of(JobModel job, Pod pod) {
    if (job.role() != Role.SERVER || !job.usesFlotillaRuntime() || job.tlsMode() != TlsMode.PASSTHROUGH || !job.hasHost()
        || pod == null || pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())) {
      return Optional.empty();
    }
    String ip = pod.getStatus().getPodIP();
    if (ip == null || ip.isBlank()) {
      return Optional.empty();
    }
    String host = ip.contains(":") ? "[" + ip + "]" : ip;
    return Optional.of(new ProgressTarget(job.namespace() + "/" + job.name(), host + ":" + job.grpcPort(), job.host(),
        job.domain(), job.identityJob(), job.namespace()));
  }
}
