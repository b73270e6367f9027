package dev.flotilla.controller.join;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.certs.enroll.JoinToken;
import dev.flotilla.certs.enroll.RevokedSerials;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.URI;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The party organisation's side of enrollment, as objects in its own cluster, built and read without I/O:
 * <ul>
 *   <li>the join Secret (type {@value #TYPE}, in the controller's namespace), written by a person: the
 *       join token from the coordinator, the enrollment endpoint's address, the domain, job and
 *       organisation, and optionally the namespaces whose jobs may use the enrolled identity ({@value #NAMESPACES}).
 *       The controller writes back only annotations: {@value #STATE} and {@value #MESSAGE};</li>
 *   <li>the identity Secret {@code flotilla-enrolled.<job>.<organisation>} (type kubernetes.io/tls, beside
 *       it): {@code tls.key} made by this controller and never sent anywhere, {@code tls.crt} and
 *       {@code ca.crt} as the coordinator answered them.</li>
 * </ul>
 */
public final class JoinModel {
  public static final String TYPE = "flotilla.dev/join";
  public static final String TOKEN = "token";
  public static final String ENDPOINT = "endpoint";
  public static final String DOMAIN = "domain";
  public static final String JOB = "job";
  public static final String ORGANISATION = "organisation";
  /**
   * Optional: comma-separated namespaces whose jobs may use the enrolled identity (and have pod identities issued
   * against it). Absent: every namespace the controller watches may, since a job there names the organisation.
   */
  public static final String NAMESPACES = "namespaces";
  /** At most this many namespaces in {@value #NAMESPACES}. */
  public static final int MAX_NAMESPACES = 64;
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  public static final String STATE = "flotilla.dev/join-state";
  public static final String MESSAGE = "flotilla.dev/join-message";
  /** The id (never the secret) of the token the state is about: a refused token is not tried again, a new one is. */
  public static final String TOKEN_ID = "flotilla.dev/join-token-id";
  public static final String SERIAL = "flotilla.dev/serial";
  public static final String RENEW_AFTER = "flotilla.dev/renew-after";
  public static final String IDENTITY_PREFIX = "flotilla-enrolled.";
  /**
   * The renewal Secret {@code flotilla-renewal.<job>.<organisation>} beside the identity Secret: the key (and CSR) of a
   * renewal written before it is asked, emptied once the renewed certificate is stored. Not the identity Secret: that one
   * is copied beside the jobs and mounted in their pods. A party pod's identity ({@code <organisation>-p<i>}) keeps the
   * key it is asked for the same way, under {@link #podRenewalSecretName}.
   */
  public static final String RENEWAL_PREFIX = "flotilla-renewal.";
  /** A join Secret's values are short: anything longer is refused before it is parsed. */
  static final int MAX_VALUE_BYTES = 1024;

  private JoinModel() {}

  /**
   * What one join Secret asks for.
   *
   * @param namespaces the only namespaces whose jobs may use the enrolled identity; empty: the key is absent, every
   *     watched namespace may
   */
  public record Join(String namespace, String name, JoinToken token, URI endpoint, Identity identity, List<String> namespaces) {
    public Join {
      namespaces = List.copyOf(namespaces);
    }

    /** A join whose identity every watched namespace may use. */
    public Join(String namespace, String name, JoinToken token, URI endpoint, Identity identity) {
      this(namespace, name, token, endpoint, identity, List.of());
    }

    public String domain() {
      return identity.trustDomain();
    }

    /** The identity Secret's name, beside the join Secret. */
    public String identitySecretName() {
      return IDENTITY_PREFIX + identity.job() + "." + identity.name();
    }

    /** The renewal Secret's name ({@link #RENEWAL_PREFIX}), beside the join Secret. */
    public String renewalSecretName() {
      return RENEWAL_PREFIX + identity.job() + "." + identity.name();
    }

    /** The DNS name the party serves under, in its zone ({@code <job>.<organisation>.party.<domain>}). */
    public String partyHost() {
      return identity.job() + "." + identity.name() + ".party." + domain();
    }

    @Override
    public String toString() {
      return namespace + "/" + name + " (" + identity + " via " + endpoint + ")";
    }
  }

  /** The join a Secret describes; refuses, naming the key, anything missing, oversized or malformed. */
  public static Join parse(Secret secret) {
    String ref = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    if (!TYPE.equals(secret.getType())) {
      throw new IllegalArgumentException("Secret " + ref + " is not of type " + TYPE);
    }
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    String tokenText = value(data, TOKEN, ref);
    JoinToken token;
    try {
      token = JoinToken.parse(tokenText);
    } catch (IllegalArgumentException e) {
      // the message never repeats the value: it is a secret
      throw new IllegalArgumentException("Secret " + ref + ": key token: " + e.getMessage(), e);
    }
    String endpointText = value(data, ENDPOINT, ref);
    URI endpoint;
    try {
      endpoint = URI.create(endpointText);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Secret " + ref + ": key endpoint is not a URL", e);
    }
    if (!"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
      throw new IllegalArgumentException("Secret " + ref + ": key endpoint must be https://HOST[:PORT], not " + endpoint);
    }
    String domain = value(data, DOMAIN, ref);
    String job = value(data, JOB, ref);
    String organisation = value(data, ORGANISATION, ref);
    Identity identity;
    try {
      identity = Identity.party(domain, job, organisation);
    } catch (dev.flotilla.certs.PkiException e) {
      throw new IllegalArgumentException("Secret " + ref + ": " + e.getMessage(), e);
    }
    return new Join(secret.getMetadata().getNamespace(), secret.getMetadata().getName(), token, endpoint, identity,
        namespaces(data, ref));
  }

  /**
   * The warning for a join Secret without key {@value #NAMESPACES}: every watched namespace may use its identity and how to
   * restrict it; empty when the key is there.
   */
  public static Optional<String> unrestrictedWarning(Secret secret) {
    if (secret.getData() != null && secret.getData().containsKey(NAMESPACES)) {
      return Optional.empty();
    }
    return Optional.of("join Secret " + secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName() + " has no key "
        + NAMESPACES + ": a job in any namespace this controller watches may use the identity it enrolls, by naming its job and "
        + "organisation; to restrict it, set key " + NAMESPACES + " to the allowed namespaces, comma-separated (Helm: "
        + "joinSecret.namespaces)");
  }

  /** The namespaces of key {@value #NAMESPACES}: each a DNS-1123 label, at most {@value #MAX_NAMESPACES}; empty when absent. */
  private static List<String> namespaces(Map<String, String> data, String ref) {
    if (!data.containsKey(NAMESPACES)) {
      return List.of();
    }
    // 64 names of at most 63 characters and their commas: a longer value is refused before it is decoded
    String text = value(data, NAMESPACES, ref, MAX_NAMESPACES * 64);
    if (text.isEmpty()) {
      throw new IllegalArgumentException("Secret " + ref + ": key " + NAMESPACES + " is empty: list the namespaces that may "
          + "use the enrolled identity, or remove the key");
    }
    String[] entries = text.split(",", -1);
    if (entries.length > MAX_NAMESPACES) {
      throw new IllegalArgumentException("Secret " + ref + ": key " + NAMESPACES + " lists " + entries.length
          + " namespaces, more than " + MAX_NAMESPACES);
    }
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (String entry : entries) {
      String name = entry.strip();
      if (!NAMESPACE.matcher(name).matches()) {
        throw new IllegalArgumentException("Secret " + ref + ": key " + NAMESPACES + ": '" + printable(name)
            + "' is not a namespace name (a DNS-1123 label: a-z, 0-9 and '-', at most 63 characters)");
      }
      names.add(name);
    }
    return new ArrayList<>(names);
  }

  /** At most 64 characters of {@code text}, anything outside printable ASCII shown as '?', for a message. */
  private static String printable(String text) {
    String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** Why a job in {@code jobNamespace} may not use the identity of organisation {@code organisation}; empty when it may. */
  private static Optional<String> refusal(String joinRef, String organisation, List<String> allowed, String jobNamespace) {
    if (allowed.isEmpty() || allowed.contains(jobNamespace)) {
      return Optional.empty();
    }
    return Optional.of(refused(jobNamespace, organisation, "join Secret " + joinRef + " allows only "
        + String.join(", ", allowed)));
  }

  private static String refused(String jobNamespace, String organisation, String why) {
    return "namespace " + jobNamespace + " may not use organisation " + organisation + "'s enrolled identity: " + why;
  }

  /**
   * Why a job in {@code jobNamespace} may not use identity Secret {@code identitySecretName}, given the join Secrets of the
   * controller's namespace; empty when it may. Each join Secret naming that identity (by its job and organisation) is
   * asked, reading only its key {@value #NAMESPACES}: a token removed after enrollment changes nothing, but an invalid
   * {@value #NAMESPACES} refuses every namespace (an operator's typo must not open the identity to all). With no join
   * Secret for the identity (it was deleted), nothing restricts it.
   */
  public static Optional<String> namespaceRefusal(List<Secret> joinSecrets, String identitySecretName, String jobNamespace) {
    for (Secret secret : joinSecrets) {
      if (claimedIdentitySecretName(secret).filter(identitySecretName::equals).isEmpty()) {
        continue;
      }
      String ref = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
      String organisation = value(secret.getData(), ORGANISATION, ref);
      List<String> allowed;
      try {
        allowed = namespaces(secret.getData(), ref);
      } catch (IllegalArgumentException e) {
        return Optional.of(refused(jobNamespace, organisation, e.getMessage()));
      }
      Optional<String> refused = refusal(ref, organisation, allowed, jobNamespace);
      if (refused.isPresent()) {
        return refused;
      }
    }
    return Optional.empty();
  }

  /**
   * The identity Secret a join Secret names, from its job and organisation alone (so also when another key is invalid);
   * empty when those are unreadable.
   */
  public static Optional<String> claimedIdentitySecretName(Secret secret) {
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    try {
      return Optional.of(IDENTITY_PREFIX + value(data, JOB, "") + "." + value(data, ORGANISATION, ""));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static String value(Map<String, String> data, String key, String ref) {
    return value(data, key, ref, MAX_VALUE_BYTES);
  }

  private static String value(Map<String, String> data, String key, String ref, int maxBytes) {
    String encoded = data.get(key);
    if (encoded == null) {
      throw new IllegalArgumentException("Secret " + ref + " has no key " + key);
    }
    if (encoded.length() > maxBytes * 4 / 3 + 4) {
      throw new IllegalArgumentException("Secret " + ref + ": key " + key + " is longer than " + maxBytes + " bytes");
    }
    return CertificateModel.decode(encoded).strip();
  }

  /** The identity Secret holding {@code issued} (with its key), for {@code join}. */
  public static Secret identitySecret(Join join, IssuedCertificate issued) {
    return identitySecret(join.namespace(), join.identitySecretName(), issued);
  }

  /** The identity Secret {@code namespace/name} holding {@code issued} (with its key): the enroller's labels and annotations. */
  public static Secret identitySecret(String namespace, String name, IssuedCertificate issued) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put("app.kubernetes.io/component", "enrollment");
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(SERIAL, RevokedSerials.hex(issued.certificate().getSerialNumber()));
    annotations.put(RENEW_AFTER, RenewalPolicy.renewalTime(issued.certificate()).toString());
    annotations.put("flotilla.dev/identity", Identity.of(issued.certificate()).toString());
    Map<String, String> data = new LinkedHashMap<>();
    data.put(IssuedCertificate.CERTIFICATE_FILE, CertificateModel.encode(Pem.encode(issued.certificateChain())));
    data.put(IssuedCertificate.KEY_FILE, CertificateModel.encode(Pem.encode(issued.privateKey())));
    data.put(IssuedCertificate.CA_FILE, CertificateModel.encode(Pem.encode(issued.caCertificate())));
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .withLabels(labels).withAnnotations(annotations).endMetadata()
        .withType("kubernetes.io/tls").withData(data).build();
  }

  /**
   * The renewal Secret of a party pod's identity: {@code flotilla-renewal.<job>.<organisation>-p<i>}, beside its identity
   * Secret ({@code flotilla-enrolled.<job>.<organisation>-p<i>}), for the key its first issue or a later one is asked for.
   */
  public static String podRenewalSecretName(JobModel pod) {
    return RENEWAL_PREFIX + pod.identityJob() + "." + pod.identity().name();
  }

  /** The renewal Secret {@code namespace/name} keeping {@code pending} ({@code tls.key}, {@code tls.csr}), or, with null, nothing. */
  public static Secret renewalSecret(String namespace, String name, CertificateSigningRequest pending) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put("app.kubernetes.io/component", "enrollment");
    Map<String, String> data = new LinkedHashMap<>();
    if (pending != null) {
      data.put(IssuedCertificate.KEY_FILE, CertificateModel.encode(Pem.encode(pending.privateKey())));
      data.put(CertificateSigningRequest.CSR_FILE, CertificateModel.encode(pending.pem()));
    }
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .withLabels(labels).endMetadata().withType("Opaque").withData(data).build();
  }

  /** The key a renewal Secret keeps; empty when it keeps none (absent, emptied) or what it keeps is not a key and its CSR. */
  public static Optional<KeyPair> pendingKey(Secret renewal) {
    Map<String, String> data = renewal == null || renewal.getData() == null ? Map.of() : renewal.getData();
    String key = data.get(IssuedCertificate.KEY_FILE);
    String csr = data.get(CertificateSigningRequest.CSR_FILE);
    if (key == null || csr == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(CertificateSigningRequest.fromPem(CertificateModel.decode(csr), CertificateModel.decode(key),
          "Secret " + renewal.getMetadata().getNamespace() + "/" + renewal.getMetadata().getName()).keyPair());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The certificate, key and CA an identity Secret holds. */
  public static IssuedCertificate identityOf(Secret secret) {
    Map<String, String> data = secret.getData();
    String ref = secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
    if (data == null || data.get(IssuedCertificate.CERTIFICATE_FILE) == null || data.get(IssuedCertificate.KEY_FILE) == null
        || data.get(IssuedCertificate.CA_FILE) == null) {
      throw new IllegalStateException("Secret " + ref + " lacks tls.crt, tls.key or ca.crt");
    }
    return IssuedCertificate.fromPem(CertificateModel.decode(data.get(IssuedCertificate.CERTIFICATE_FILE)),
        CertificateModel.decode(data.get(IssuedCertificate.KEY_FILE)), CertificateModel.decode(data.get(IssuedCertificate.CA_FILE)));
  }
}
