package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the identity a party job's organisation enrolled with (Secret {@code flotilla-enrolled.<job>.<org>}
 * in the controller's namespace, written by {@code --join}) and, for a job in another namespace, keeps its
 * copy beside the job ({@link EnrolledIdentityModel}).
 */
public final class EnrolledIdentities {
  private static final Logger LOG = LoggerFactory.getLogger(EnrolledIdentities.class);

  /** The Secret the pod mounts, where it came from and the certificate's serial. */
  public record Mounted(String secretName, String source, String serial) {}

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final String controllerNamespace;

  public EnrolledIdentities(KubernetesClient client, ChildApplier applier, String controllerNamespace) {
    this.client = client;
    this.applier = applier;
    this.controllerNamespace = controllerNamespace;
  }

  /** {@code namespace/name} of the Secret the job's organisation enrolled with, whether or not it fits the job; empty: none. */
  public Optional<String> enrolledFor(JobModel job) {
    if (!EnrolledIdentityModel.eligible(job)) {
      return Optional.empty();
    }
    String name = EnrolledIdentityModel.secretName(job);
    return client.secrets().inNamespace(controllerNamespace).withName(name).get() == null ? Optional.empty()
        : Optional.of(controllerNamespace + "/" + name);
  }

  /** The enrolled identity the job's pod mounts (its copy made or brought up to date), or empty: none fits the job. */
  public Optional<Mounted> mount(JobModel job) {
    if (!EnrolledIdentityModel.eligible(job)) {
      return Optional.empty();
    }
    String name = EnrolledIdentityModel.secretName(job);
    Secret enrolled = client.secrets().inNamespace(controllerNamespace).withName(name).get();
    if (enrolled == null) {
      return Optional.empty();
    }
    Optional<String> unusable = EnrolledIdentityModel.unusable(job, enrolled);
    if (unusable.isPresent()) {
      LOG.warn("{}: not using the enrolled identity: {}", job.ref(), unusable.get());
      return Optional.empty();
    }
    if (!EnrolledIdentityModel.mountedInPlace(job, enrolled)) {
      ApplyOutcome copied = applier.apply(EnrolledIdentityModel.copy(job, enrolled));
      if (copied != ApplyOutcome.UNCHANGED) {
        LOG.info("{}: enrolled identity {} (serial {}) {} beside the job", job.ref(), name, EnrolledIdentityModel.serial(enrolled),
            copied == ApplyOutcome.CREATED ? "copied" : "updated");
      }
    }
    return Optional.of(new Mounted(name, controllerNamespace + "/" + name, EnrolledIdentityModel.serial(enrolled)));
  }
}
