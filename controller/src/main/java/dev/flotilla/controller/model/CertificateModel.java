package dev.flotilla.controller.model;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.certs.LeafRequest;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the job's certificates must be, and when the one in the cluster no longer will do. Pure:
 * issuing happens in the operator, through cert-manager.
 */
public final class CertificateModel {

  public static final String TLS_CRT = "tls.crt";
  public static final String TLS_KEY = "tls.key";
  public static final String CA_CRT = "ca.crt";
  public static final String CA_KEY = "ca.key";
  public static final Duration CA_LIFETIME = Duration.ofDays(3650);
  public static final KeyType KEY_TYPE = KeyType.EC_P256;
  public static final String DOMAIN_ANNOTATION = "flotilla.dev/domain";

  static final int SAN_DNS = 2;
  static final int SAN_URI = 6;

  private CertificateModel() {}

  /**
   * The job's leaf: a serving certificate for a server's host, a client-and-serving certificate
   * for a party's host (parties also serve their peers), with the job-bound identity
   * {@link JobModel#identityUri()}.
   */
  public static LeafRequest leafRequest(JobModel job) {
    return LeafRequest.builder(job.identity())
        .dnsNames(dnsNames(job).toArray(String[]::new))
        .lifetime(job.certificateLifetime())
        .keyType(KEY_TYPE)
        .build();
  }

  /**
   * The host (and the bulk-upload port's name, {@link JobModel#bulkHost()}), and nothing else: a server's certificate names only {@code *.server.<domain>} hosts, a
   * party's only {@code *.party.<domain>} ones. In-cluster {@code .svc} names would let the
   * certificate serve as any Service of that name; nothing connects by them (ingress-nginx
   * verifies a GRPCS backend against the host, {@code proxy-ssl-name}).
   */
  public static List<String> dnsNames(JobModel job) {
    if (!job.hasHost()) {
      return List.of();
    }
    return job.bulkHost() != null ? List.of(job.host(), job.bulkHost()) : List.of(job.host());
  }

  public static String caCommonName(String namespace, String domain) {
    return "Flotilla CA " + domain + " (" + namespace + ")";
  }

  /**
   * Why the certificate in the job's Secret must be (re)issued, or empty when it is still right:
   * present, parseable, signed by the namespace's CA for the domain, with the desired names and
   * identity, and more than a third of its lifetime left.
   */
  public static Optional<String> reissueReason(JobModel job, Secret existing, X509Certificate ca, Instant now) {
    return leafReissueReason(existing, ca, "the namespace's CA", job.identity(), dnsNames(job), now);
  }

  /**
   * Why a Secret's leaf no longer does, or empty when it does: present, parseable, signed by
   * {@code ca} (described as {@code caName} in the reason), exactly {@code identity} and
   * {@code dnsNames}, and not yet due for renewal (two thirds of its life, {@link RenewalPolicy}).
   * Shared by the jobs' leaves and the ingress client certificate.
   */
  static Optional<String> leafReissueReason(Secret existing, X509Certificate ca, String caName, Identity identity,
      List<String> dnsNames, Instant now) {
    Map<String, String> data = existing == null || existing.getData() == null ? Map.of() : existing.getData();
    if (data.get(TLS_CRT) == null || data.get(TLS_KEY) == null) {
      return Optional.of("no certificate yet");
    }
    X509Certificate leaf;
    try {
      leaf = parse(decode(data.get(TLS_CRT))).get(0);
    } catch (RuntimeException e) {
      return Optional.of("the certificate in the Secret does not parse");
    }
    try {
      leaf.verify(ca.getPublicKey());
    } catch (Exception e) {
      return Optional.of("not signed by " + caName
          + (leaf.getIssuerX500Principal().equals(ca.getSubjectX500Principal()) ? "" : " (issued by another CA)"));
    }
    if (!sans(leaf, SAN_DNS).equals(new TreeSet<>(dnsNames))) {
      return Optional.of(dnsNames.isEmpty() ? "it carries DNS names; this certificate has none"
          : "names changed to " + dnsNames);
    }
    if (!sans(leaf, SAN_URI).equals(Set.of(identity.uri()))) {
      return Optional.of("identity changed to " + identity.uri());
    }
    if (RenewalPolicy.needsRenewal(leaf, now)) {
      return Optional.of("expires at " + leaf.getNotAfter().toInstant() + ", within a third of its lifetime");
    }
    return Optional.empty();
  }

  /** The job's TLS Secret (type kubernetes.io/tls, plus ca.crt), owned by the job. */
  public static Secret tlsSecret(JobModel job, String certificateChainPem, String privateKeyPem, String caPem) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(TLS_CRT, encode(certificateChainPem));
    data.put(TLS_KEY, encode(privateKeyPem));
    data.put(CA_CRT, encode(caPem));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(job.tlsSecretName())
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withOwnerReferences(job.ownerReference())
        .endMetadata()
        .withType("kubernetes.io/tls")
        .withData(data)
        .build();
  }

  /**
   * The two ConfigMaps iflearner images in terminate mode read their trust anchors from
   * ({@code --cert=/etc/server-iflearner-secret.crt}, {@code --peer-cert=/etc/party-iflearner-secret.crt}):
   * both hold the namespace's CA for the domain, which signed every server's and party's certificate.
   */
  public static List<ConfigMap> iflearnerCaConfigMaps(String namespace, String caPem) {
    return List.of(
        caConfigMap(namespace, PodModel.SERVER_CRT_CONFIGMAP, PodModel.SERVER_CRT_FILE, caPem),
        caConfigMap(namespace, PodModel.PARTY_CRT_CONFIGMAP, PodModel.PARTY_CRT_FILE, caPem));
  }

  private static ConfigMap caConfigMap(String namespace, String name, String key, String caPem) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(Map.of(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER))
        .endMetadata()
        .withData(Map.of(key, caPem))
        .build();
  }

  public static String encode(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  public static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  /** Every certificate in a PEM text, in order. */
  public static List<X509Certificate> parse(String pem) {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      Collection<? extends java.security.cert.Certificate> all =
          factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      List<X509Certificate> out = new ArrayList<>();
      for (java.security.cert.Certificate c : all) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException("no certificate in the PEM text");
      }
      return out;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
    }
  }

  static Set<String> sans(X509Certificate certificate, int type) {
    Set<String> out = new TreeSet<>();
    try {
      Collection<List<?>> all = certificate.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> san : all) {
          if (((Integer) san.get(0)) == type) {
            out.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("unreadable subject alternative names", e);
    }
    return out;
  }
}
