package dev.flotilla.controller.operator;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.join.PartyEnroller;
import dev.flotilla.controller.join.PendingKeys;
import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
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

  /** Why an N-pod job's pods cannot have identities of the federation (the step's failure says it). */
  public static final class PodIdentitiesUnavailable extends RuntimeException {
    PodIdentitiesUnavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The job's namespace is not among those the join Secret of its organisation's identity allows ({@link JoinModel#NAMESPACES}):
   * the job gets no copy of the identity, and no pod identity is asked for.
   */
  public static final class NamespaceRefused extends RuntimeException {
    NamespaceRefused(String message) {
      super(message);
    }
  }

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final String controllerNamespace;
  /** Where the join Secrets come from: the controller's informer, so a reconcile lists none through the API server. */
  private final ObservedState observed;
  private final Function<JoinModel.Join, EnrollmentClient> coordinators;
  private final PendingKeys pendingKeys;
  private final Clock clock;

  public EnrolledIdentities(KubernetesClient client, ChildApplier applier, String controllerNamespace, ObservedState observed) {
    this(client, applier, controllerNamespace, observed, PartyEnroller::clientFor, Clock.systemUTC());
  }

  /**
   * @param observed answers the join Secrets of {@code controllerNamespace}
   * @param coordinators the enrollment endpoint of a join (where an N-pod job's pods get their identities)
   */
  public EnrolledIdentities(KubernetesClient client, ChildApplier applier, String controllerNamespace, ObservedState observed,
      Function<JoinModel.Join, EnrollmentClient> coordinators, Clock clock) {
    this.client = client;
    this.applier = applier;
    this.controllerNamespace = controllerNamespace;
    this.observed = observed;
    this.coordinators = coordinators;
    this.pendingKeys = new PendingKeys(client);
    this.clock = clock;
  }

  /**
   * The identities of an N-pod job's pods when its organisation enrolled with a federation, one per pod
   * ({@link EnrolledIdentityModel#podSecretName}), in pod order; empty when it did not (the pods get certificates of
   * this cluster's CA). As the enroller does for the organisation's own: each key is made here and written only into
   * its Secret in the controller's namespace; only the CSR goes to the coordinator, over mutual TLS with the
   * organisation's enrolled certificate, at the endpoint of its join Secret. Issued again when due for renewal. Empty
   * too, as for {@link #mount}, when the organisation's Secret is not the job's ({@link EnrolledIdentityModel#unusableForPods}).
   *
   * @throws PodIdentitiesUnavailable when the organisation's identity or join is unusable or the coordinator refuses
   * @throws NamespaceRefused when the organisation's join Secret does not allow the job's namespace
   */
  public Optional<List<Mounted>> mountPods(JobModel job) {
    Optional<Secret> enrolled = enrolledSecret(job);
    if (enrolled.isEmpty()) {
      return Optional.empty();
    }
    Secret organisation = enrolled.get();
    requireNamespaceAllowed(job, organisation);
    // as mount() does: a Secret of another domain under the same name, or one lacking a file, is not this job's
    Optional<String> unusable = EnrolledIdentityModel.unusableForPods(job, organisation);
    if (unusable.isPresent()) {
      LOG.warn("{}: not using the enrolled identity for the pods' identities: {}", job.ref(), unusable.get());
      return Optional.empty();
    }
    List<Mounted> mounted = new ArrayList<>();
    for (JobModel pod : job.pods()) {
      String name = EnrolledIdentityModel.podSecretName(pod);
      Secret held = client.secrets().inNamespace(controllerNamespace).withName(name).get();
      if (!EnrolledIdentityModel.current(pod, held, clock.instant())) {
        held = issue(pod, name, organisation, held);
      }
      if (!EnrolledIdentityModel.mountedInPlace(job, held)) {
        applier.apply(EnrolledIdentityModel.copy(job, held));
      }
      mounted.add(new Mounted(name, controllerNamespace + "/" + name, EnrolledIdentityModel.serial(held)));
    }
    return Optional.of(mounted);
  }

  /** Asks the coordinator for {@code pod}'s identity with a key made here; writes it into Secret {@code name} (replacing {@code held}). */
  private Secret issue(JobModel pod, String name, Secret organisation, Secret held) {
    String source = controllerNamespace + "/" + organisation.getMetadata().getName();
    JoinModel.Join join = joinOf(organisation.getMetadata().getName()).orElseThrow(() -> new PodIdentitiesUnavailable(
        "no join Secret in " + controllerNamespace + " enrolled " + source + ", so the coordinator to ask for "
            + pod.identityUri() + " is unknown", null));
    String pending = JoinModel.podRenewalSecretName(pod);
    IssuedCertificate issued;
    try {
      CertificateSigningRequest csr = podRequest(pod, List.of(join.partyHost()), pending, held);
      issued = coordinators.apply(join).issueHost(JoinModel.identityOf(organisation), pod.identity(), csr);
    } catch (PkiException | IllegalStateException e) { // the coordinator's refusal is an EnrollmentException, a PkiException
      throw new PodIdentitiesUnavailable("the coordinator " + join.endpoint() + " did not issue " + pod.identityUri()
          + " against " + source + ": " + e.getMessage(), e);
    }
    Secret next = JoinModel.identitySecret(controllerNamespace, name, issued);
    if (held == null) {
      next = client.secrets().inNamespace(controllerNamespace).resource(next).create();
    } else {
      next.getMetadata().setResourceVersion(held.getMetadata().getResourceVersion());
      next = client.secrets().inNamespace(controllerNamespace).resource(next).update();
    }
    // stored: the kept key is the held one now; the next issue makes a new one
    pendingKeys.forget(controllerNamespace, pending);
    LOG.info("{}: {} issued by the federation (serial {}) into Secret {}/{}; its key was made here", pod.ref(),
        pod.identityUri(), EnrolledIdentityModel.serial(next), controllerNamespace, name);
    return next;
  }

  /**
   * The CSR of {@code pod}'s identity (DNS names {@code names}) for the key an earlier attempt kept in Secret
   * {@code pending} ({@link PendingKeys}) unless it is already {@code held}'s (its certificate stored, the Secret not yet
   * emptied), else for a new key.
   */
  private CertificateSigningRequest podRequest(JobModel pod, List<String> names, String pending, Secret held) {
    PublicKey heldKey = heldKey(held);
    PendingKeys.Request request = pendingKeys.request(controllerNamespace, pending, pod.identity(), names, KeyType.EC_P256,
        k -> !k.getPublic().equals(heldKey));
    if (request.kept()) {
      LOG.info("{}: asking again for {} with the key kept in Secret {}/{} (an earlier answer was not stored)", pod.ref(),
          pod.identityUri(), controllerNamespace, pending);
    }
    return request.csr();
  }

  /** The public key of the certificate {@code held} holds, or null when there is none or it does not parse. */
  private static PublicKey heldKey(Secret held) {
    try {
      return held == null ? null : JoinModel.identityOf(held).certificate().getPublicKey();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Refuses the job when the join Secrets restrict {@code enrolled} to other namespaces ({@link JoinModel#namespaceRefusal}). */
  private void requireNamespaceAllowed(JobModel job, Secret enrolled) {
    Optional<String> refusal = JoinModel.namespaceRefusal(observed.joinSecrets(), enrolled.getMetadata().getName(), job.namespace());
    if (refusal.isPresent()) {
      LOG.warn("{}: {}", job.ref(), refusal.get());
      throw new NamespaceRefused(refusal.get());
    }
  }

  /** The join Secret (in the controller's namespace) whose identity Secret is {@code identitySecret}. */
  private Optional<JoinModel.Join> joinOf(String identitySecret) {
    for (Secret secret : observed.joinSecrets()) {
      try {
        JoinModel.Join join = JoinModel.parse(secret);
        if (join.identitySecretName().equals(identitySecret)) {
          return Optional.of(join);
        }
      } catch (IllegalArgumentException e) {
        // the enroller reports an invalid join on its Secret
      }
    }
    return Optional.empty();
  }

  /** The Secret the job's organisation enrolled with (in the controller's namespace), whether or not it fits the job. */
  private Optional<Secret> enrolledSecret(JobModel job) {
    if (!EnrolledIdentityModel.eligible(job)) {
      return Optional.empty();
    }
    return Optional.ofNullable(client.secrets().inNamespace(controllerNamespace)
        .withName(EnrolledIdentityModel.secretName(job)).get());
  }

  /**
   * The enrolled identity the job's pod mounts (its copy made or brought up to date), or empty: none fits the job.
   *
   * @throws NamespaceRefused when the organisation's join Secret does not allow the job's namespace
   */
  public Optional<Mounted> mount(JobModel job) {
    Secret enrolled = enrolledSecret(job).orElse(null);
    if (enrolled == null) {
      return Optional.empty();
    }
    requireNamespaceAllowed(job, enrolled);
    String name = enrolled.getMetadata().getName();
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
