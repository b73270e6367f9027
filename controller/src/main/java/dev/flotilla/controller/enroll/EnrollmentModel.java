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
 *       one key per organisation, the unexpired certificates issued to it ({@link Issued}, one per line), for
 *       revocation; bounded per organisation and in all ({@link #withIssued});</li>
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

  /**
   * Bytes of the enrolled ConfigMap's data the coordinator writes at most: well under the API server's 1 MiB per object,
   * so that a full record is refused with a reason rather than by the API server, for every organisation at once.
   */
  public static final int MAX_ENROLLED_BYTES = 768 * 1024;

  /**
   * One certificate issued to an organisation, a line of its key: {@code <serial hex> <notAfter>}, then for a party
   * pod's identity {@code <host>} ({@code <organisation>-p<i>}); null host: the organisation's own certificate.
   */
  public record Issued(BigInteger serial, Instant notAfter, String host) {
    String line() {
      return RevokedSerials.hex(serial) + " " + notAfter + (host == null ? "" : " " + host) + "\n";
    }

    static Issued parse(String line) {
      String[] fields = line.strip().split(" ");
      return new Issued(new BigInteger(fields[0], 16), Instant.parse(fields[1]), fields.length > 2 ? fields[2] : null);
    }

    boolean expiredAt(Instant now) {
      return !notAfter.isAfter(now);
    }
  }

  /**
   * {@code enrolled} with {@code issued} added under {@code organisation}, and every record whose certificate has expired
   * at {@code now} dropped (an organisation left with none is no longer listed). A host's earlier certificates stay
   * until they expire, each counted: revoking the organisation must still reach them. Refused (429) when the
   * organisation would hold more than {@code perOrganisation} unexpired certificates, or the record would outgrow
   * {@value #MAX_ENROLLED_BYTES} bytes.
   */
  public static ConfigMap withIssued(ConfigMap enrolled, String organisation, Issued issued, Instant now, int perOrganisation) {
    Map<String, String> data = new LinkedHashMap<>();
    int bytes = 0;
    for (Map.Entry<String, String> entry : (enrolled.getData() == null ? Map.<String, String>of() : enrolled.getData()).entrySet()) {
      String kept = entry.getValue().lines().filter(l -> !l.isBlank()).map(Issued::parse).filter(i -> !i.expiredAt(now))
          .map(Issued::line).collect(java.util.stream.Collectors.joining());
      if (!kept.isEmpty()) {
        data.put(entry.getKey(), kept);
        bytes += entry.getKey().length() + kept.length();
      }
    }
    refuseBeyond(perOrganisation, organisation, issued(data.get(organisation)), now);
    if (bytes + issued.line().length() + (data.containsKey(organisation) ? 0 : organisation.length()) > MAX_ENROLLED_BYTES) {
      throw new EnrollmentRefusal(EnrollmentRefusal.TOO_MANY, "the coordinator's record of issued certificates ("
          + enrolled.getMetadata().getName() + ") holds " + bytes + " bytes, the most it keeps (" + MAX_ENROLLED_BYTES
          + "); nothing more is issued until certificates expire or organisations are revoked");
    }
    data.merge(organisation, issued.line(), String::concat);
    enrolled.setData(data);
    return enrolled;
  }

  /**
   * Refuses (429) one more certificate for {@code organisation} when it holds {@code perOrganisation} unexpired ones of
   * {@code held} at {@code now}; the message says when room frees.
   */
  public static void refuseBeyond(int perOrganisation, String organisation, java.util.List<Issued> held, Instant now) {
    java.util.List<Issued> valid = held.stream().filter(i -> !i.expiredAt(now)).toList();
    if (valid.size() >= perOrganisation) {
      Instant first = valid.stream().map(Issued::notAfter).min(Instant::compareTo).orElseThrow();
      throw new EnrollmentRefusal(EnrollmentRefusal.TOO_MANY, "organisation " + organisation + " holds " + valid.size()
          + " unexpired certificates (its own and its party pods'), the most the coordinator issues to one organisation ("
          + "--enroll-certificates-per-organisation " + perOrganisation + "); the next frees at " + first
          + " when the earliest expires");
    }
  }

  private static java.util.List<Issued> issued(String lines) {
    return lines == null ? java.util.List.of() : lines.lines().filter(l -> !l.isBlank()).map(Issued::parse).toList();
  }

  /** The certificates issued to {@code organisation}, from the enrolled ConfigMap (expired ones too, until pruned). */
  public static java.util.List<Issued> issued(ConfigMap enrolled, String organisation) {
    return issued(enrolled == null || enrolled.getData() == null ? null : enrolled.getData().get(organisation));
  }

  /** The serials issued to {@code organisation}, from the enrolled ConfigMap. */
  public static java.util.List<BigInteger> issuedTo(ConfigMap enrolled, String organisation) {
    return issued(enrolled, organisation).stream().map(Issued::serial).toList();
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
