package dev.flotilla.controller.enroll;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.enroll.RevokedSerials;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

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
   * pod's identity {@code <host>} ({@code <organisation>-p<i>}; null host: the organisation's own certificate), then,
   * once the holder renewed it, {@code renewed-to:<serial hex>} (null {@code renewedTo}: not renewed) and
   * {@code renewed-key:<SHA-256 of the renewal's public key, hex>} ({@link #keyDigest}; null {@code renewedKey}: a line
   * of a version that did not record it), and for a pod's identity or a first enrollment {@code key:<digest of its
   * identity and key, hex>} ({@link #identityKeyDigest}; null {@code identityKey}: a renewal, or a line of a version that
   * did not record it).
   * Lines of earlier versions (two or three fields, or no key) still parse.
   */
  public record Issued(BigInteger serial, Instant notAfter, String host, BigInteger renewedTo, String renewedKey,
      String identityKey) {
    static final String RENEWED_TO = "renewed-to:";
    static final String RENEWED_KEY = "renewed-key:";
    static final String IDENTITY_KEY = "key:";

    public Issued(BigInteger serial, Instant notAfter, String host) {
      this(serial, notAfter, host, null, null, null);
    }

    /** A pod's identity {@code host} (null: a first enrollment) issued for the key of digest {@code identityKey} ({@link #identityKeyDigest}). */
    public Issued(BigInteger serial, Instant notAfter, String host, String identityKey) {
      this(serial, notAfter, host, null, null, identityKey);
    }

    String line() {
      return RevokedSerials.hex(serial) + " " + notAfter + (host == null ? "" : " " + host)
          + (renewedTo == null ? "" : " " + RENEWED_TO + RevokedSerials.hex(renewedTo))
          + (renewedKey == null ? "" : " " + RENEWED_KEY + renewedKey)
          + (identityKey == null ? "" : " " + IDENTITY_KEY + identityKey) + "\n";
    }

    static Issued parse(String line) {
      String[] fields = line.strip().split(" ");
      String host = null;
      BigInteger renewedTo = null;
      String renewedKey = null;
      String identityKey = null;
      for (int i = 2; i < fields.length; i++) {
        if (fields[i].startsWith(RENEWED_TO)) {
          renewedTo = new BigInteger(fields[i].substring(RENEWED_TO.length()), 16);
        } else if (fields[i].startsWith(RENEWED_KEY)) {
          renewedKey = fields[i].substring(RENEWED_KEY.length());
        } else if (fields[i].startsWith(IDENTITY_KEY)) {
          identityKey = fields[i].substring(IDENTITY_KEY.length());
        } else {
          host = fields[i];
        }
      }
      return new Issued(new BigInteger(fields[0], 16), Instant.parse(fields[1]), host, renewedTo, renewedKey, identityKey);
    }

    boolean expiredAt(Instant now) {
      return !notAfter.isAfter(now);
    }

    Issued renewedTo(BigInteger successor, String successorKey) {
      return new Issued(serial, notAfter, host, successor, successorKey, identityKey);
    }
  }

  /** The digest a renewal's key is recorded by: SHA-256 of its SubjectPublicKeyInfo, lower-case hex. */
  public static String keyDigest(PublicKey key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /**
   * The digest a pod's identity or a first enrollment is recorded by: SHA-256 of its identity's URI, a zero byte and its
   * key's SubjectPublicKeyInfo, lower-case hex. The identity is in it because one organisation's lines may hold
   * certificates of several jobs under one name: the key asked again gets only that job's.
   */
  public static String identityKeyDigest(Identity identity, PublicKey key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(identity.uri().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      return HexFormat.of().formatHex(sha.digest(key.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /**
   * The pod identity {@code host} (null: the organisation's own, enrolled with a token) issued before for the key and
   * identity of digest {@code key} ({@link #identityKeyDigest}), when its line is on record (unexpired at {@code now}) in
   * {@code held}: asked again with that key, its answer was lost (connection cut, controller crash), and the coordinator
   * signs that certificate again under its serial and notAfter instead of issuing and counting another. Another key for
   * the host is a new certificate, counted like any.
   */
  public static Optional<Issued> keyIssuedBefore(List<Issued> held, String host, String key, Instant now) {
    return held.stream().filter(i -> !i.expiredAt(now) && java.util.Objects.equals(host, i.host())
        && key.equals(i.identityKey())).findFirst();
  }

  /**
   * {@code enrolled} with {@code issued} added under {@code organisation}, and every record whose certificate has expired
   * at {@code now} dropped (an organisation left with none is no longer listed). A host's earlier certificates stay
   * until they expire, each counted: revoking the organisation must still reach them. Refused (429) when the
   * organisation would hold more than {@code perOrganisation} unexpired certificates, or the record would outgrow
   * {@value #MAX_ENROLLED_BYTES} bytes.
   */
  public static ConfigMap withIssued(ConfigMap enrolled, String organisation, Issued issued, Instant now, int perOrganisation) {
    Map<String, String> data = unexpired(enrolled, now);
    List<Issued> held = issued(data.get(organisation));
    refuseBeyond(perOrganisation, organisation, held, now);
    return written(enrolled, data, organisation, held, issued);
  }

  /**
   * {@code enrolled} with {@code issued}, the renewal of the certificate {@code renewed} of {@code organisation} for the
   * key of digest {@code key}, added and {@code renewed}'s line marked {@code renewed-to:} and {@code renewed-key:} it;
   * expired records dropped as {@link #withIssued} does. Refused as {@link #refuseRenewal} says, and (429) when the
   * record would outgrow {@value #MAX_ENROLLED_BYTES} bytes. Ask {@link #issuedBefore} first: a renewal asked again for
   * the key of the recorded one is answered with that certificate, not recorded.
   */
  public static ConfigMap withRenewal(ConfigMap enrolled, String organisation, BigInteger renewed, Issued issued, String key,
      Instant now, int perOrganisation) {
    Map<String, String> data = unexpired(enrolled, now);
    List<Issued> held = issued(data.get(organisation));
    refuseRenewal(perOrganisation, organisation, held, renewed, key, now);
    List<Issued> marked = held.stream().map(i -> i.serial().equals(renewed) ? i.renewedTo(issued.serial(), key) : i).toList();
    return written(enrolled, data, organisation, marked, issued);
  }

  /**
   * The certificate an earlier renewal of {@code renewed} issued for the key of digest {@code key}, when both lines are
   * on record (unexpired at {@code now}) in {@code held}: asked again with that key, its answer was lost on the way
   * (connection cut, party crash), and the coordinator signs that certificate again under its serial and notAfter
   * instead of issuing another. The record stays as it is, and revoking the organisation revokes every copy.
   */
  public static Optional<Issued> issuedBefore(List<Issued> held, BigInteger renewed, String key, Instant now) {
    List<Issued> valid = held.stream().filter(i -> !i.expiredAt(now)).toList();
    return valid.stream().filter(i -> i.serial().equals(renewed) && i.renewedTo() != null && key.equals(i.renewedKey()))
        .findFirst().flatMap(line -> valid.stream().filter(i -> i.serial().equals(line.renewedTo())).findFirst());
  }

  /** {@code data} (the unexpired records) with {@code organisation}'s lines {@code held} then {@code added}, unless too big. */
  private static ConfigMap written(ConfigMap enrolled, Map<String, String> data, String organisation, List<Issued> held,
      Issued added) {
    String lines = held.stream().map(Issued::line).collect(Collectors.joining()) + added.line();
    int others = data.entrySet().stream().filter(e -> !e.getKey().equals(organisation))
        .mapToInt(e -> e.getKey().length() + e.getValue().length()).sum();
    if (others + organisation.length() + lines.length() > MAX_ENROLLED_BYTES) {
      int bytes = data.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum();
      throw new EnrollmentRefusal(EnrollmentRefusal.TOO_MANY, "the coordinator's record of issued certificates ("
          + enrolled.getMetadata().getName() + ") holds " + bytes + " bytes, the most it keeps (" + MAX_ENROLLED_BYTES
          + "); nothing more is issued until certificates expire or organisations are revoked");
    }
    data.put(organisation, lines);
    enrolled.setData(data);
    return enrolled;
  }

  /** The data of {@code enrolled} without the records of certificates expired at {@code now}, nor organisations left with none. */
  private static Map<String, String> unexpired(ConfigMap enrolled, Instant now) {
    Map<String, String> data = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : (enrolled.getData() == null ? Map.<String, String>of() : enrolled.getData()).entrySet()) {
      String kept = issued(entry.getValue()).stream().filter(i -> !i.expiredAt(now)).map(Issued::line).collect(Collectors.joining());
      if (!kept.isEmpty()) {
        data.put(entry.getKey(), kept);
      }
    }
    return data;
  }

  /**
   * Refuses (429) one more certificate for {@code organisation} when it holds {@code perOrganisation} unexpired ones of
   * {@code held} at {@code now}; the message says when room frees.
   */
  public static void refuseBeyond(int perOrganisation, String organisation, List<Issued> held, Instant now) {
    List<Issued> valid = held.stream().filter(i -> !i.expiredAt(now)).toList();
    if (valid.size() >= perOrganisation) {
      throw new EnrollmentRefusal(EnrollmentRefusal.TOO_MANY, atTheBound(perOrganisation, organisation, valid) + "; "
          + roomFrees(perOrganisation, valid));
    }
  }

  /**
   * Refuses the renewal of {@code organisation}'s certificate {@code renewed} (its holder presented it) when the
   * organisation holds {@code perOrganisation} unexpired certificates of {@code held} at {@code now}, unless
   * {@code renewed} is on record and may still renew beyond the bound: it was not renewed before (409 otherwise, saying
   * when the earlier renewal was for another key than {@code key}'s; for the same key {@link #issuedBefore} answers), and
   * it is not itself the renewal of a certificate still on record (429 otherwise). So an organisation at its bound
   * can always renew its certificate before it lapses, while a loop of renewals adds at most one line per certificate
   * beyond the bound (at most twice the bound in all). Below the bound a renewal for a new key is counted like any
   * certificate.
   */
  public static void refuseRenewal(int perOrganisation, String organisation, List<Issued> held, BigInteger renewed, String key,
      Instant now) {
    List<Issued> valid = held.stream().filter(i -> !i.expiredAt(now)).toList();
    if (valid.size() < perOrganisation) {
      return;
    }
    Issued current = valid.stream().filter(i -> i.serial().equals(renewed)).findFirst().orElse(null);
    if (current == null) {
      throw new EnrollmentRefusal(EnrollmentRefusal.TOO_MANY, atTheBound(perOrganisation, organisation, valid)
          + ", and the certificate presented for renewal (serial " + RevokedSerials.hex(renewed) + ") is not on its record; "
          + roomFrees(perOrganisation, valid));
    }
    if (current.renewedTo() != null) {
      boolean anotherKey = current.renewedKey() != null && !current.renewedKey().equals(key);
      throw new EnrollmentRefusal(EnrollmentRefusal.CONFLICT, "the certificate of serial " + RevokedSerials.hex(renewed)
          + " was renewed already, to serial " + RevokedSerials.hex(current.renewedTo())
          // the client shows 500 characters of a reason: short, so that when room frees still fits
          + (anotherKey ? " for another key" : "") + ": renew with that certificate. "
          + atTheBound(perOrganisation, organisation, valid) + ", beyond which each certificate is renewed once; "
          + roomFrees(perOrganisation, valid));
    }
    Issued predecessor = valid.stream().filter(i -> renewed.equals(i.renewedTo())).findFirst().orElse(null);
    if (predecessor != null) {
      throw new EnrollmentRefusal(EnrollmentRefusal.TOO_MANY, "the certificate of serial " + RevokedSerials.hex(renewed)
          + " is the renewal of serial " + RevokedSerials.hex(predecessor.serial()) + ", which stays on record until "
          + predecessor.notAfter() + ": renew after then. " + atTheBound(perOrganisation, organisation, valid)
          + ", beyond which one renewal of a certificate is on record at a time");
    }
  }

  private static String atTheBound(int perOrganisation, String organisation, List<Issued> valid) {
    return "organisation " + organisation + " holds " + valid.size() + " unexpired certificates (its own and its party pods'), "
        + "the most the coordinator issues to one organisation (--enroll-certificates-per-organisation " + perOrganisation + ")";
  }

  /** When the organisation holding {@code valid} (at least the bound) is below the bound again, if nothing is revoked. */
  private static String roomFrees(int perOrganisation, List<Issued> valid) {
    int expiring = valid.size() - perOrganisation + 1;
    Instant at = valid.stream().map(Issued::notAfter).sorted().skip(expiring - 1).findFirst().orElseThrow();
    return "the next frees at " + at + (expiring == 1 ? " when the earliest expires" : " when the earliest " + expiring + " have expired");
  }

  private static List<Issued> issued(String lines) {
    return lines == null ? List.of() : lines.lines().filter(l -> !l.isBlank()).map(Issued::parse).toList();
  }

  /** The certificates issued to {@code organisation}, from the enrolled ConfigMap (expired ones too, until pruned). */
  public static List<Issued> issued(ConfigMap enrolled, String organisation) {
    return issued(enrolled == null || enrolled.getData() == null ? null : enrolled.getData().get(organisation));
  }

  /** The serials issued to {@code organisation}, from the enrolled ConfigMap. */
  public static List<BigInteger> issuedTo(ConfigMap enrolled, String organisation) {
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
