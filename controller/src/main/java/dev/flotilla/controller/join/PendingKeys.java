package dev.flotilla.controller.join;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.KeyType;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The renewal Secrets ({@link JoinModel#renewalSecret}) that keep the key of a certificate asked of the coordinator until
 * that certificate is stored: asked again after a lost answer, the coordinator sends the certificate it recorded for
 * that key rather than count another. One way for the organisation's own identity ({@link PartyEnroller}) and its pods'
 * ({@code EnrolledIdentities}).
 */
public final class PendingKeys {

  /** The CSR to send, and whether its key is one an earlier attempt kept (its answer never arrived or was never stored). */
  public record Request(CertificateSigningRequest csr, boolean kept) {}

  private final KubernetesClient client;

  public PendingKeys(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The CSR of {@code identity} (DNS names {@code names}) for the key Secret {@code namespace/name} keeps when
   * {@code usable} accepts it (not usable: a key whose certificate is already stored, the Secret not yet emptied), else
   * for a new key of {@code type}, kept there before it is sent.
   */
  public Request request(String namespace, String name, Identity identity, List<String> names, KeyType type,
      Predicate<KeyPair> usable) {
    Secret kept = client.secrets().inNamespace(namespace).withName(name).get();
    Optional<KeyPair> key = JoinModel.pendingKey(kept).filter(usable);
    if (key.isPresent()) {
      return new Request(CertificateSigningRequest.create(identity, names, key.get()), true);
    }
    CertificateSigningRequest fresh = CertificateSigningRequest.create(identity, names, type);
    write(kept, JoinModel.renewalSecret(namespace, name, fresh));
    return new Request(fresh, false);
  }

  /** Empties Secret {@code namespace/name} once the certificate of its key is stored: the next request makes a new key. */
  public void forget(String namespace, String name) {
    Secret kept = client.secrets().inNamespace(namespace).withName(name).get();
    if (kept != null) {
      write(kept, JoinModel.renewalSecret(namespace, name, null));
    }
  }

  /** Creates {@code desired}, or replaces {@code kept} with it under the resourceVersion read. */
  private void write(Secret kept, Secret desired) {
    if (kept == null) {
      client.secrets().inNamespace(desired.getMetadata().getNamespace()).resource(desired).create();
    } else {
      desired.getMetadata().setResourceVersion(kept.getMetadata().getResourceVersion());
      client.secrets().inNamespace(desired.getMetadata().getNamespace()).resource(desired).update();
    }
  }
}
