package dev.flotilla.certs.kubernetes;

import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificates in Kubernetes: {@code kubernetes.io/tls} Secrets (tls.crt, tls.key, ca.crt) that pods
 * mount as the files {@code TlsFiles.inDirectory} reads, and a CA-bundle ConfigMap (ca.crt) for
 * those who only need to trust. Writes are idempotent (an unchanged object is not touched), labelled
 * {@code app.kubernetes.io/managed-by=flotilla}, and carry the owner reference when one is given.
 */
public final class KubernetesCertificateStore {
  private static final Logger log = LoggerFactory.getLogger(KubernetesCertificateStore.class);

  public static final String TLS_SECRET_TYPE = "kubernetes.io/tls";
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY = "flotilla";
  public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  public static final String CA_BUNDLE_KEY = "ca.crt";

  /** What a write did. */
  public enum Outcome { CREATED, UPDATED, UNCHANGED }

  private final KubernetesClient client;

  public KubernetesCertificateStore(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * Creates or updates the {@code kubernetes.io/tls} Secret {@code namespace/name} with the
   * certificate chain, its key and the root CA. {@code owner} may be null.
   */
  public Outcome writeTlsSecret(String namespace, String name, IssuedCertificate certificate,
      Map<String, String> labels, OwnerReference owner) {
    if (!certificate.hasPrivateKey()) {
      throw new PkiException("a kubernetes.io/tls Secret needs the private key, and " + namespace + "/" + name
          + " was signed from a CSR whose key stays with the requester");
    }
    Map<String, String> data = new LinkedHashMap<>();
    data.put(IssuedCertificate.CERTIFICATE_FILE, base64(Pem.encode(certificate.certificateChain())));
    data.put(IssuedCertificate.KEY_FILE, base64(Pem.encode(certificate.privateKey())));
    data.put(IssuedCertificate.CA_FILE, base64(Pem.encode(certificate.caCertificate())));
    Map<String, String> allLabels = labels(labels, "certificate");

    Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
    if (existing == null) {
      client.secrets().inNamespace(namespace).resource(new SecretBuilder()
          .withNewMetadata().withNamespace(namespace).withName(name).withLabels(allLabels)
          .withOwnerReferences(owner == null ? List.of() : List.of(owner)).endMetadata()
          .withType(TLS_SECRET_TYPE)
          .withData(data)
          .build()).create();
      log.info("created TLS Secret {}/{}", namespace, name);
      return Outcome.CREATED;
    }
    if (!TLS_SECRET_TYPE.equals(existing.getType())) {
      throw new PkiException("Secret " + namespace + "/" + name + " exists with type " + existing.getType()
          + ", not " + TLS_SECRET_TYPE + " (a Secret's type cannot change; delete it first)");
    }
    if (data.equals(existing.getData()) && metadataUpToDate(existing, allLabels, owner)) {
      return Outcome.UNCHANGED;
    }
    client.secrets().inNamespace(namespace).withName(name).edit(s -> {
      s.setData(data);
      updateMetadata(s, allLabels, owner);
      return s;
    });
    log.info("updated TLS Secret {}/{}", namespace, name);
    return Outcome.UPDATED;
  }

  /** The certificate, key and CA of a {@code kubernetes.io/tls} Secret, or empty when there is no such Secret. */
  public Optional<IssuedCertificate> readTlsSecret(String namespace, String name) {
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      return Optional.empty();
    }
    if (!TLS_SECRET_TYPE.equals(secret.getType())) {
      throw new PkiException("Secret " + namespace + "/" + name + " has type " + secret.getType() + ", not " + TLS_SECRET_TYPE);
    }
    Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
    String crt = decode(data, IssuedCertificate.CERTIFICATE_FILE, namespace, name);
    String key = decode(data, IssuedCertificate.KEY_FILE, namespace, name);
    String ca = data.containsKey(IssuedCertificate.CA_FILE) ? decode(data, IssuedCertificate.CA_FILE, namespace, name) : null;
    if (ca == null) {
      throw new PkiException("Secret " + namespace + "/" + name + " has no ca.crt");
    }
    return Optional.of(IssuedCertificate.fromPem(crt, key, ca));
  }

  /** Creates or updates the ConfigMap {@code namespace/name} whose {@code ca.crt} holds the given CA certificates. */
  public Outcome writeCaBundle(String namespace, String name, List<X509Certificate> caCertificates,
      Map<String, String> labels, OwnerReference owner) {
    if (caCertificates.isEmpty()) {
      throw new PkiException("an empty CA bundle for ConfigMap " + namespace + "/" + name);
    }
    Map<String, String> data = Map.of(CA_BUNDLE_KEY, Pem.encode(caCertificates));
    Map<String, String> allLabels = labels(labels, "ca-bundle");
    ConfigMap existing = client.configMaps().inNamespace(namespace).withName(name).get();
    if (existing == null) {
      client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
          .withNewMetadata().withNamespace(namespace).withName(name).withLabels(allLabels)
          .withOwnerReferences(owner == null ? List.of() : List.of(owner)).endMetadata()
          .withData(data)
          .build()).create();
      log.info("created CA bundle ConfigMap {}/{}", namespace, name);
      return Outcome.CREATED;
    }
    if (data.equals(existing.getData()) && metadataUpToDate(existing, allLabels, owner)) {
      return Outcome.UNCHANGED;
    }
    client.configMaps().inNamespace(namespace).withName(name).edit(c -> {
      c.setData(data);
      updateMetadata(c, allLabels, owner);
      return c;
    });
    log.info("updated CA bundle ConfigMap {}/{}", namespace, name);
    return Outcome.UPDATED;
  }

  /** The CA certificates of a bundle ConfigMap, or empty when there is no such ConfigMap. */
  public Optional<List<X509Certificate>> readCaBundle(String namespace, String name) {
    ConfigMap map = client.configMaps().inNamespace(namespace).withName(name).get();
    if (map == null) {
      return Optional.empty();
    }
    String pem = map.getData() == null ? null : map.getData().get(CA_BUNDLE_KEY);
    if (pem == null) {
      throw new PkiException("ConfigMap " + namespace + "/" + name + " has no " + CA_BUNDLE_KEY);
    }
    return Optional.of(Pem.parseCertificates(pem, "ConfigMap " + namespace + "/" + name));
  }

  private static Map<String, String> labels(Map<String, String> given, String component) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(MANAGED_BY_LABEL, MANAGED_BY);
    all.put(COMPONENT_LABEL, component);
    if (given != null) {
      all.putAll(given);
    }
    return all;
  }

  private static boolean metadataUpToDate(HasMetadata existing, Map<String, String> labels, OwnerReference owner) {
    ObjectMeta meta = existing.getMetadata();
    Map<String, String> current = meta.getLabels() == null ? Map.of() : meta.getLabels();
    boolean labelsOk = labels.entrySet().stream().allMatch(e -> e.getValue().equals(current.get(e.getKey())));
    boolean ownerOk = owner == null
        || (meta.getOwnerReferences() != null && meta.getOwnerReferences().stream().anyMatch(r -> sameOwner(r, owner)));
    return labelsOk && ownerOk;
  }

  private static void updateMetadata(HasMetadata resource, Map<String, String> labels, OwnerReference owner) {
    ObjectMeta meta = resource.getMetadata();
    Map<String, String> merged = new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
    merged.putAll(labels);
    meta.setLabels(merged);
    if (owner != null) {
      List<OwnerReference> refs = new ArrayList<>(meta.getOwnerReferences() == null ? List.of() : meta.getOwnerReferences());
      refs.removeIf(r -> Objects.equals(r.getUid(), owner.getUid()));
      refs.add(owner);
      meta.setOwnerReferences(refs);
    }
  }

  private static boolean sameOwner(OwnerReference a, OwnerReference b) {
    return Objects.equals(a.getUid(), b.getUid()) && Objects.equals(a.getKind(), b.getKind())
        && Objects.equals(a.getName(), b.getName()) && Objects.equals(a.getApiVersion(), b.getApiVersion())
        && Objects.equals(a.getController(), b.getController());
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String decode(Map<String, String> data, String key, String namespace, String name) {
    String value = data.get(key);
    if (value == null) {
      throw new PkiException("Secret " + namespace + "/" + name + " has no " + key);
    }
    try {
      return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      throw new PkiException("Secret " + namespace + "/" + name + " has corrupt base64 in " + key);
    }
  }
}
