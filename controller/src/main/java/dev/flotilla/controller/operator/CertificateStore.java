package dev.flotilla.controller.operator;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each namespace's CA per domain in a Secret and the jobs' leaf certificates in their
 * TLS Secrets, issuing through cert-manager only when {@link CertificateModel#reissueReason}
 * says so. Key material passes through a private temporary directory (mode 0700), the file
 * form cert-manager reads and writes, and is deleted straight after.
 */
public final class CertificateStore {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateStore.class);

  /** What {@link #ensureLeaf} did. */
  public record LeafResult(boolean issued, String reason, String caPem) {}

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final Clock clock;
  private final Map<String, LoadedCa> caCache = new ConcurrentHashMap<>();

  private record LoadedCa(String resourceVersion, CertificateAuthority ca, String pem) {}

  public CertificateStore(KubernetesClient client, ChildApplier applier, Clock clock) {
    this.client = client;
    this.applier = applier;
    this.clock = clock;
  }

  /** Makes sure the job's TLS Secret holds a right certificate; returns whether it issued one. */
  public LeafResult ensureLeaf(JobModel job) {
    LoadedCa ca = ensureCa(job.namespace(), job.domain());
    Secret existing = client.secrets().inNamespace(job.namespace()).withName(job.tlsSecretName()).get();
    Optional<String> reason = CertificateModel.reissueReason(job, existing, ca.ca().certificate(), clock.instant());
    if (reason.isEmpty()) {
      // the certificate is right; metadata (labels, owner) may still have drifted
      Secret desired = CertificateModel.tlsSecret(job,
          CertificateModel.decode(existing.getData().get(CertificateModel.TLS_CRT)),
          CertificateModel.decode(existing.getData().get(CertificateModel.TLS_KEY)),
          ca.pem());
      applier.apply(desired);
      return new LeafResult(false, null, ca.pem());
    }
    LOG.info("{}: issuing certificate for {} ({})", job.ref(), job.identityUri(), reason.get());
    IssuedCertificate issued = ca.ca().issue(CertificateModel.leafRequest(job));
    Path dir = privateTempDir();
    try {
      issued.writeTo(dir);
      String chain = read(dir.resolve(IssuedCertificate.CERTIFICATE_FILE));
      String key = read(dir.resolve(IssuedCertificate.KEY_FILE));
      applier.apply(CertificateModel.tlsSecret(job, chain, key, ca.pem()));
    } finally {
      deleteRecursively(dir);
    }
    return new LeafResult(true, reason.get(), ca.pem());
  }

  /** Every CA of the namespace (one per domain), as one PEM bundle in a stable order. */
  public String namespaceCaBundle(String namespace) {
    List<Secret> cas = client.secrets().inNamespace(namespace)
        .withLabel(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER).list().getItems().stream()
        .filter(s -> s.getMetadata().getName().startsWith("flotilla-ca-") && s.getData() != null
            && s.getData().get(CertificateModel.CA_CRT) != null)
        .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
        .toList();
    StringBuilder bundle = new StringBuilder();
    for (Secret s : cas) {
      String pem = CertificateModel.decode(s.getData().get(CertificateModel.CA_CRT));
      bundle.append(pem.endsWith("\n") ? pem : pem + "\n");
    }
    return bundle.toString();
  }

  LoadedCa ensureCa(String namespace, String domain) {
    String name = JobModel.caSecretName(domain);
    Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
    if (secret == null) {
      CertificateAuthority created = CertificateAuthority.createRoot(
          CertificateModel.caCommonName(namespace, domain), CertificateModel.CA_LIFETIME, CertificateModel.KEY_TYPE);
      Path dir = privateTempDir();
      try {
        created.writeTo(dir);
        Secret desired = CertificateModel.caSecret(namespace, domain,
            read(dir.resolve(CertificateAuthority.CERTIFICATE_FILE)), read(dir.resolve(CertificateAuthority.KEY_FILE)));
        try {
          secret = client.secrets().inNamespace(namespace).resource(desired).create();
          LOG.info("{}/{}: created the CA for domain {}", namespace, name, domain);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
          // another replica or reconcile made it first: use theirs
          secret = client.secrets().inNamespace(namespace).withName(name).get();
        }
      } finally {
        deleteRecursively(dir);
      }
    }
    String key = namespace + "/" + name;
    LoadedCa cached = caCache.get(key);
    if (cached != null && cached.resourceVersion().equals(secret.getMetadata().getResourceVersion())) {
      return cached;
    }
    Map<String, String> data = secret.getData();
    if (data == null || data.get(CertificateModel.CA_CRT) == null || data.get(CertificateModel.CA_KEY) == null) {
      throw new IllegalStateException("Secret " + key + " lacks ca.crt or ca.key; delete it to let the controller make a new CA");
    }
    String pem = CertificateModel.decode(data.get(CertificateModel.CA_CRT));
    Path dir = privateTempDir();
    try {
      Files.writeString(dir.resolve(CertificateAuthority.CERTIFICATE_FILE), pem);
      Files.writeString(dir.resolve(CertificateAuthority.KEY_FILE), CertificateModel.decode(data.get(CertificateModel.CA_KEY)));
      LoadedCa loaded = new LoadedCa(secret.getMetadata().getResourceVersion(), CertificateAuthority.load(dir), pem);
      caCache.put(key, loaded);
      return loaded;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteRecursively(dir);
    }
  }

  /** The CA certificate of a namespace and domain, creating the CA when missing. */
  public X509Certificate caCertificate(String namespace, String domain) {
    return ensureCa(namespace, domain).ca().certificate();
  }

  private static Path privateTempDir() {
    try {
      return Files.createTempDirectory("flotilla-pki-",
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a private temporary directory for key material", e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete temporary key directory {}: {}", dir, e.toString());
    }
  }
}
