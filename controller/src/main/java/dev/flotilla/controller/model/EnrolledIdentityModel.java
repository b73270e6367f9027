package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which identity a party job's pod mounts, decided without I/O. A party organisation that joined a
 * federation ({@code --join}) holds {@code flotilla-enrolled.<job>.<organisation>} in the controller's
 * namespace: a key made in this cluster and a certificate signed by the federation's CA. A party job
 * whose identity is that one (same domain, job and organisation) mounts it instead of a
 * {@code <job>-tls} issued by this cluster's own CA, which the coordinator's aggregator would not trust.
 *
 * <p>A pod mounts only Secrets of its own namespace: for a job elsewhere the controller keeps a copy
 * beside it ({@link #copy}), owned by the job, byte for byte the same (the key is not made again and
 * never leaves this cluster). The copy keeps its name whatever the certificate, so a renewal (the
 * enroller rewrites the Secret at two thirds of the lifetime) changes the copy's data in place: the
 * kubelet updates the mounted files and the runtime loads them at its next TLS handshake, and the pod,
 * whose spec did not change, keeps running. Only passthrough jobs: in terminate mode the ingress ends
 * TLS with {@code <job>-tls}, and the enrolled identity would not reach the peer.
 */
public final class EnrolledIdentityModel {
  /** The enroller's name prefix ({@code JoinModel.IDENTITY_PREFIX}; a test keeps the two the same). */
  public static final String PREFIX = "flotilla-enrolled.";
  /** The identity the enroller writes on its Secret, as a SPIFFE URI. */
  public static final String IDENTITY_ANNOTATION = "flotilla.dev/identity";
  /** On the copy: where it was copied from ({@code namespace/name}). */
  public static final String SOURCE_ANNOTATION = "flotilla.dev/enrolled-from";
  /** The enroller's label on its identity Secrets, which the controller watches for renewals. */
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String COMPONENT = "enrollment";
  /** Annotations carried over to the copy: serial, renewal time, identity. */
  static final List<String> CARRIED = List.of("flotilla.dev/serial", "flotilla.dev/renew-after", IDENTITY_ANNOTATION);
  static final List<String> FILES = List.of(CertificateModel.TLS_CRT, CertificateModel.TLS_KEY, CertificateModel.CA_CRT);

  private EnrolledIdentityModel() {}

  /** The enrolled identity Secret a job's identity would have: {@code flotilla-enrolled.<job>.<organisation>}. */
  public static String secretName(JobModel job) {
    return PREFIX + job.identityJob() + "." + job.identityName();
  }

  /**
   * The identity Secret of party pod {@code pod} of an N-pod job: {@code flotilla-enrolled.<job>.<organisation>-p<i>},
   * issued by the federation's coordinator against the organisation's own ({@link #secretName} of the job).
   */
  public static String podSecretName(JobModel pod) {
    return PREFIX + pod.identityJob() + "." + pod.identity().name();
  }

  /** Whether {@code existing} (or null) is {@code pod}'s identity Secret and not yet due for renewal at {@code now}. */
  public static boolean current(JobModel pod, Secret existing, java.time.Instant now) {
    if (existing == null || unusableFiles(existing).isPresent()
        || !pod.identityUri().equals(annotations(existing).get(IDENTITY_ANNOTATION))) {
      return false;
    }
    String renewAfter = annotations(existing).get("flotilla.dev/renew-after");
    try {
      return renewAfter != null && now.isBefore(java.time.Instant.parse(renewAfter));
    } catch (java.time.format.DateTimeParseException e) {
      return false;
    }
  }

  private static Optional<String> unusableFiles(Secret enrolled) {
    Map<String, String> data = enrolled.getData() == null ? Map.of() : enrolled.getData();
    for (String file : FILES) {
      if (data.get(file) == null || data.get(file).isEmpty()) {
        return Optional.of("Secret " + ref(enrolled) + " has no " + file);
      }
    }
    return Optional.empty();
  }

  /** The jobs of {@code jobs} whose identity would be enrolled Secret {@code secretName}; a job that cannot be read is skipped. */
  public static List<IflearnerJob> jobsUsing(List<IflearnerJob> jobs, String secretName) {
    List<IflearnerJob> out = new ArrayList<>();
    for (IflearnerJob job : jobs) {
      try {
        JobModel model = new JobModel(job);
        if (eligible(model) && secretName(model).equals(secretName)) {
          out.add(job);
        }
      } catch (RuntimeException e) {
        // a job without a spec or host: its own reconcile says what is wrong
      }
    }
    return out;
  }

  /** Whether the job could use an enrolled identity at all: a party (client) in passthrough mode. */
  public static boolean eligible(JobModel job) {
    return job.role() == Role.CLIENT && job.tlsMode() == TlsMode.PASSTHROUGH;
  }

  /**
   * Whether {@code enrolled} (the Secret of {@link #secretName}, or null) is the job's identity: an
   * eligible job, a Secret with the three files, whose identity annotation is the job's identity URI
   * (a Secret of another domain under the same name is not). Empty when it is; else why not.
   */
  public static Optional<String> unusable(JobModel job, Secret enrolled) {
    return unusable(job, enrolled, job.identityUri());
  }

  /**
   * {@link #unusable} for the organisation's Secret an N-pod job's pods are issued against: there the job's own identity
   * is a virtual-party host's, and the Secret must hold the organisation's plain party identity
   * {@code spiffe://<domain>/job/<job>/party/<party>} of the job's domain, job and party.
   */
  public static Optional<String> unusableForPods(JobModel job, Secret enrolled) {
    return unusable(job, enrolled, dev.flotilla.certs.Identity.party(job.domain(), job.identityJob(), job.identityName()).uri());
  }

  private static Optional<String> unusable(JobModel job, Secret enrolled, String expected) {
    if (!eligible(job)) {
      return Optional.of(job.ref() + " is not a party in passthrough mode");
    }
    if (enrolled == null) {
      return Optional.of("no Secret " + secretName(job));
    }
    Optional<String> files = unusableFiles(enrolled);
    if (files.isPresent()) {
      return files;
    }
    String identity = annotations(enrolled).get(IDENTITY_ANNOTATION);
    if (!expected.equals(identity)) {
      return Optional.of("Secret " + ref(enrolled) + " holds " + identity + ", not the job's " + expected);
    }
    return Optional.empty();
  }

  /** Whether the pod mounts {@code enrolled} as it is (the job lives beside it) rather than a copy. */
  public static boolean mountedInPlace(JobModel job, Secret enrolled) {
    return job.namespace().equals(enrolled.getMetadata().getNamespace());
  }

  /**
   * The copy of {@code enrolled} in the job's namespace: the same name, type and files (the very bytes),
   * the serial, renewal time and identity annotations, the job's labels and owner reference.
   */
  public static Secret copy(JobModel job, Secret enrolled) {
    Map<String, String> data = new LinkedHashMap<>();
    for (String file : FILES) {
      data.put(file, enrolled.getData().get(file));
    }
    Map<String, String> annotations = new LinkedHashMap<>();
    for (String key : CARRIED) {
      String value = annotations(enrolled).get(key);
      if (value != null) {
        annotations.put(key, value);
      }
    }
    annotations.put(SOURCE_ANNOTATION, ref(enrolled));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(enrolled.getMetadata().getName())
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withAnnotations(annotations)
        .withOwnerReferences(job.ownerReference())
        .endMetadata()
        .withType("kubernetes.io/tls")
        .withData(data)
        .build();
  }

  /** The serial the Secret's certificate carries (as the enroller annotated it), for messages. */
  public static String serial(Secret enrolled) {
    return annotations(enrolled).getOrDefault("flotilla.dev/serial", "?");
  }

  private static Map<String, String> annotations(Secret s) {
    return s.getMetadata().getAnnotations() == null ? Map.of() : s.getMetadata().getAnnotations();
  }

  private static String ref(Secret s) {
    return s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
  }
}
