package dev.flotilla.controller.operator;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the CAs in the controller's namespace, one per job namespace and domain
 * ({@link CertificateAuthorityModel}), creating one when missing and adopting a CA Secret left in
 * a job namespace by an earlier release: copied with the same key and certificate, checked, then
 * deleted from the job namespace, before any new CA could be made for it. Keys stay in memory and
 * in the Secrets: PEM text goes straight between the two, never through a file.
 */
public final class CertificateAuthorities {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthorities.class);

  /** A CA ready to issue, with its certificate as PEM (what goes into ca.crt). */
  public record LoadedCa(String resourceVersion, String secretRef, CertificateAuthority ca, String pem) {}

  private final KubernetesClient client;
  private final String controllerNamespace;
  private final ObservedState observed;
  private final Map<String, LoadedCa> cache = new ConcurrentHashMap<>();
  /** Job namespaces already checked for CA Secrets of the earlier layout by this process (an upgrade step, done once). */
  private final Set<String> adoptionChecked = ConcurrentHashMap.newKeySet();

  public CertificateAuthorities(KubernetesClient client, String controllerNamespace, ObservedState observed) {
    this.client = client;
    this.controllerNamespace = controllerNamespace;
    this.observed = observed;
  }

  /** The CA of a job namespace and domain: adopted from the earlier layout, else the existing one, else a new one. */
  public LoadedCa ensure(String jobNamespace, String domain) {
    if (!adoptionChecked.contains(jobNamespace)) {
      adoptLegacy(jobNamespace);
      adoptionChecked.add(jobNamespace);
    }
    String name = CertificateAuthorityModel.secretName(jobNamespace, domain);
    Secret secret = client.secrets().inNamespace(controllerNamespace).withName(name).get();
    if (secret == null) {
      CertificateAuthority created = CertificateAuthority.createRoot(
          CertificateModel.caCommonName(jobNamespace, domain), CertificateModel.CA_LIFETIME, CertificateModel.KEY_TYPE);
      secret = createOrGet(CertificateAuthorityModel.secret(controllerNamespace, jobNamespace, domain,
          Pem.encode(created.certificate()), created.privateKeyPem()));
      LOG.info("{}/{}: CA for namespace {} and domain {} in place", controllerNamespace, name, jobNamespace, domain);
    }
    return load(secret);
  }

  /** Every CA of a job namespace (one per domain), as one PEM bundle in a stable order. */
  public String bundle(String jobNamespace) {
    List<Secret> cas = observed.certificateAuthoritiesFor(jobNamespace).stream()
        .filter(s -> controllerNamespace.equals(s.getMetadata().getNamespace())
            && s.getMetadata().getName().startsWith(CertificateAuthorityModel.PREFIX) && s.getData() != null
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

  /**
   * Moves every CA Secret of the earlier layout out of {@code jobNamespace}: the copy in the
   * controller's namespace is made (or found) and compared byte for byte before the original is
   * deleted. A different CA already in the controller's namespace for the same namespace and domain
   * is a conflict the controller does not guess about: it stops and says so (and checks again on the
   * next reconcile).
   */
  void adoptLegacy(String jobNamespace) {
    List<Secret> legacy = client.secrets().inNamespace(jobNamespace)
        .withLabel(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER).list().getItems().stream()
        .filter(CertificateAuthorityModel::isLegacy)
        .toList();
    for (Secret old : legacy) {
      Secret desired = CertificateAuthorityModel.adopted(old, controllerNamespace);
      Secret home = createOrGet(desired);
      String where = controllerNamespace + "/" + desired.getMetadata().getName();
      String from = jobNamespace + "/" + old.getMetadata().getName();
      if (!old.getData().get(CertificateModel.CA_CRT).equals(home.getData().get(CertificateModel.CA_CRT))
          || !old.getData().get(CertificateModel.CA_KEY).equals(home.getData().get(CertificateModel.CA_KEY))) {
        throw new IllegalStateException("the CA Secret " + from + " (earlier layout) and " + where
            + " hold different CAs for the same namespace and domain; delete the one parties should no longer trust");
      }
      client.secrets().inNamespace(jobNamespace).withName(old.getMetadata().getName()).delete();
      LOG.info("{}: adopted the CA Secret {} (moved to {}; its key no longer sits in the job namespace)", from, from, where);
    }
  }

  private Secret createOrGet(Secret desired) {
    try {
      return client.secrets().inNamespace(controllerNamespace).resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // already there (made by another replica or an earlier pass): use what is there
      return client.secrets().inNamespace(controllerNamespace).withName(desired.getMetadata().getName()).get();
    }
  }

  private LoadedCa load(Secret secret) {
    String ref = controllerNamespace + "/" + secret.getMetadata().getName();
    LoadedCa cached = cache.get(ref);
    if (cached != null && cached.resourceVersion().equals(secret.getMetadata().getResourceVersion())) {
      return cached;
    }
    Map<String, String> data = secret.getData();
    if (data == null || data.get(CertificateModel.CA_CRT) == null || data.get(CertificateModel.CA_KEY) == null) {
      throw new IllegalStateException("Secret " + ref + " lacks ca.crt or ca.key; delete it to let the controller make a new CA");
    }
    String pem = CertificateModel.decode(data.get(CertificateModel.CA_CRT));
    CertificateAuthority ca = CertificateAuthority.fromPem(pem, CertificateModel.decode(data.get(CertificateModel.CA_KEY)), "Secret " + ref);
    LoadedCa loaded = new LoadedCa(secret.getMetadata().getResourceVersion(), ref, ca, pem);
    cache.put(ref, loaded);
    return loaded;
  }
}
