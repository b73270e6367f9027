package dev.flotilla.controller.enroll;

import dev.flotilla.certs.enroll.RevokedSerials;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The objects enrollment keeps in the coordinator's cluster, built and read without I/O:
 * <ul>
 *   <li>a token grant: Secret {@code flotilla-enroll-token.<id>} (type {@value #TOKEN_TYPE}) in the
 *       controller's namespace, holding the SHA-256 of the secret, never the secret;</li>
 *   <li>who was enrolled: ConfigMap {@code flotilla-enrolled.<domain>} in the controller's namespace,
 *       one key per organisation, the serials issued to it (one per line), for revocation;</li>
 *   <li>what is revoked: ConfigMap {@code flotilla-revoked.<domain>} in the job namespace, key
 *       {@value #REVOKED_KEY} in {@link RevokedSerials}' form, which the aggregator reads
 *       ({@code --revoked-serials}).</li>
 * </ul>
 * No private key of a party is in any of them: the party sends only its CSR.
 */
public final class EnrollmentModel {
  public static final String TOKEN_PREFIX = "flotilla-enroll-token.";
  public static final String TOKEN_TYPE = "flotilla.dev/enrollment-token";
  public static final String ENROLLED_PREFIX = "flotilla-enrolled.";
  public static final String REVOKED_PREFIX = dev.flotilla.controller.model.RevocationListModel.PREFIX;
  public static final String REVOKED_KEY = dev.flotilla.controller.model.RevocationListModel.KEY;
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String COMPONENT = "enrollment";

  private EnrollmentModel() {}

  public static String tokenSecretName(String id) {
    return TOKEN_PREFIX + id;
  }

  public static String enrolledName(String domain) {
    return ENROLLED_PREFIX + domain;
  }

  public static String revokedName(String domain) {
    return REVOKED_PREFIX + domain;
  }

  private static Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put(COMPONENT_LABEL, COMPONENT);
    return labels;
  }

  public static Secret tokenSecret(String controllerNamespace, TokenGrant grant) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("token-id", grant.id());
    data.put("secret-sha256", grant.secretSha256());
    data.put("domain", grant.domain());
    data.put("namespace", grant.namespace());
    data.put("job", grant.job());
    data.put("organisation", grant.organisation());
    data.put("expires", grant.expires().toString());
    data.put("uses", Integer.toString(grant.uses()));
    data.put("used", Integer.toString(grant.used()));
    return new SecretBuilder().withNewMetadata().withName(tokenSecretName(grant.id())).withNamespace(controllerNamespace)
        .withLabels(labels()).endMetadata().withType(TOKEN_TYPE).withStringData(data).build();
  }

  /** The grant a token Secret holds; refuses one that is not a whole grant. */
  public static TokenGrant grantOf(Secret secret) {
    Map<String, String> data = secret.getData();
    String ref = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    if (!TOKEN_TYPE.equals(secret.getType()) || data == null) {
      throw new IllegalStateException("Secret " + ref + " is not an enrollment token");
    }
    try {
      return new TokenGrant(decode(data, "token-id"), decode(data, "secret-sha256"), decode(data, "domain"),
          decode(data, "namespace"), decode(data, "job"), decode(data, "organisation"), Instant.parse(decode(data, "expires")),
          Integer.parseInt(decode(data, "uses")), Integer.parseInt(decode(data, "used")));
    } catch (RuntimeException e) {
      throw new IllegalStateException("Secret " + ref + " is not a usable enrollment token: " + e.getMessage(), e);
    }
  }

  /** Data key of a token Secret marking the token revoked (its value: when); the grant itself is kept, to say why. */
  public static final String TOKEN_REVOKED = "revoked";

  /** When the coordinator revoked the token of {@code secret}, or null. */
  public static String revokedAt(Secret secret) {
    String value = secret.getData() == null ? null : secret.getData().get(TOKEN_REVOKED);
    return value == null ? null : new String(java.util.Base64.getDecoder().decode(value), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** {@code current} marked revoked at {@code when}, under its resourceVersion. */
  public static Secret revokedToken(Secret current, Instant when) {
    Secret next = new SecretBuilder(current).build();
    Map<String, String> data = new LinkedHashMap<>(next.getData());
    data.put(TOKEN_REVOKED, java.util.Base64.getEncoder().encodeToString(when.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    next.setData(data);
    return next;
  }

  /** The Secret of {@code grant} replacing {@code current} (same resourceVersion, so a concurrent use fails the write). */
  public static Secret updated(Secret current, TokenGrant grant) {
    Secret next = tokenSecret(current.getMetadata().getNamespace(), grant);
    next.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
    return next;
  }

  private static String decode(Map<String, String> data, String key) {
    String value = data.get(key);
    if (value == null) {
      throw new IllegalArgumentException("no " + key);
    }
    return new String(java.util.Base64.getDecoder().decode(value), java.nio.charset.StandardCharsets.UTF_8);
  }

  public static ConfigMap enrolled(String controllerNamespace, String domain) {
    return new ConfigMapBuilder().withNewMetadata().withName(enrolledName(domain)).withNamespace(controllerNamespace)
        .withLabels(labels()).endMetadata().withData(new LinkedHashMap<>()).build();
  }

  /** {@code enrolled} with {@code serial} added under {@code organisation}. */
  public static ConfigMap withIssued(ConfigMap enrolled, String organisation, BigInteger serial, Instant notAfter) {
    Map<String, String> data = new LinkedHashMap<>(enrolled.getData() == null ? Map.of() : enrolled.getData());
    data.merge(organisation, RevokedSerials.hex(serial) + " " + notAfter + "\n", String::concat);
    enrolled.setData(data);
    return enrolled;
  }

  /** The serials issued to {@code organisation}, from the enrolled ConfigMap. */
  public static java.util.List<BigInteger> issuedTo(ConfigMap enrolled, String organisation) {
    String lines = enrolled == null || enrolled.getData() == null ? null : enrolled.getData().get(organisation);
    if (lines == null) {
      return java.util.List.of();
    }
    return lines.lines().filter(l -> !l.isBlank()).map(l -> new BigInteger(l.split(" ")[0], 16)).toList();
  }

  public static ConfigMap revoked(String jobNamespace, String domain, RevokedSerials serials) {
    return new ConfigMapBuilder().withNewMetadata().withName(revokedName(domain)).withNamespace(jobNamespace)
        .withLabels(labels()).endMetadata().withData(Map.of(REVOKED_KEY, serials.text())).build();
  }

  public static RevokedSerials revokedOf(ConfigMap revoked) {
    if (revoked == null || revoked.getData() == null || revoked.getData().get(REVOKED_KEY) == null) {
      return RevokedSerials.none();
    }
    return RevokedSerials.parse(revoked.getData().get(REVOKED_KEY),
        "ConfigMap " + revoked.getMetadata().getNamespace() + "/" + revoked.getMetadata().getName());
  }
}
