package dev.flotilla.controller.operator;

import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the Secrets a job's namespace needs, and only those: the job's leaf certificate in its TLS
 * Secret and, for a terminating ingress in front of a Flotilla runtime, ingress-nginx's client
 * certificate; each with the CA certificate as ca.crt. Issues through cert-manager only when the
 * model says the Secret in the cluster no longer will do. The CAs themselves, keys included, stay
 * in the controller's namespace ({@link CertificateAuthorities}).
 */
public final class CertificateStore {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateStore.class);

  /** What an ensure call did; {@code caRef} is where the issuing CA is kept ({@code namespace/name}). */
  public record LeafResult(boolean issued, String reason, String caPem, String caRef) {}

  private final KubernetesClient client;
  private final ChildApplier applier;
  private final CertificateAuthorities authorities;
  private final Clock clock;

  public CertificateStore(KubernetesClient client, ChildApplier applier, CertificateAuthorities authorities, Clock clock) {
    this.client = client;
    this.applier = applier;
    this.authorities = authorities;
    this.clock = clock;
  }

  /** Makes sure the job's TLS Secret holds a right certificate; returns whether it issued one. */
  public LeafResult ensureLeaf(JobModel job) {
    return forbiddenExplained(job, () -> {
      CertificateAuthorities.LoadedCa ca = authorities.ensure(job.namespace(), job.domain());
      Secret existing = client.secrets().inNamespace(job.namespace()).withName(job.tlsSecretName()).get();
      Optional<String> reason = CertificateModel.reissueReason(job, existing, ca.ca().certificate(), clock.instant());
      return ensure(job, ca, existing, reason, CertificateModel.leafRequest(job),
          (key) -> CertificateModel.tlsSecret(job, key.chain(), key.key(), ca.pem()));
    });
  }

  /**
   * Makes sure the Secret the job's Ingress names in {@code proxy-ssl-secret} holds ingress-nginx's
   * client certificate; call only when {@link IngressClientModel#required} says the Ingress names it.
   */
  public LeafResult ensureIngressClient(JobModel job) {
    return forbiddenExplained(job, () -> {
      CertificateAuthorities.LoadedCa ca = authorities.ensure(job.namespace(), job.domain());
      Secret existing = client.secrets().inNamespace(job.namespace()).withName(job.ingressClientSecretName()).get();
      Optional<String> reason = IngressClientModel.reissueReason(job, existing, ca.ca().certificate(), ca.pem(), clock.instant());
      return ensure(job, ca, existing, reason, IngressClientModel.leafRequest(job),
          (key) -> IngressClientModel.secret(job, key.chain(), key.key(), ca.pem()));
    });
  }

  /** Every CA of the namespace (one per domain), as one PEM bundle in a stable order. */
  public String namespaceCaBundle(String namespace) {
    return authorities.bundle(namespace);
  }

  private record KeyPair(String chain, String key) {}

  private LeafResult ensure(JobModel job, CertificateAuthorities.LoadedCa ca, Secret existing, Optional<String> reason,
      LeafRequest request, Function<KeyPair, Secret> secret) {
    if (reason.isEmpty()) {
      // the certificate is right; metadata (labels, owner) may still have drifted
      applier.apply(secret.apply(new KeyPair(CertificateModel.decode(existing.getData().get(CertificateModel.TLS_CRT)),
          CertificateModel.decode(existing.getData().get(CertificateModel.TLS_KEY)))));
      return new LeafResult(false, null, ca.pem(), ca.secretRef());
    }
    LOG.info("{}: issuing certificate for {} ({})", job.ref(), request.uri(), reason.get());
    IssuedCertificate issued = ca.ca().issue(request);
    applier.apply(secret.apply(new KeyPair(Pem.encode(issued.certificateChain()), Pem.encode(issued.privateKey()))));
    return new LeafResult(true, reason.get(), ca.pem(), ca.secretRef());
  }

  /** A refused Secret request names the Role that is missing, not only the HTTP status. */
  private static LeafResult forbiddenExplained(JobModel job, java.util.function.Supplier<LeafResult> step) {
    try {
      return step.get();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 403) {
        throw e;
      }
      throw new IllegalStateException("the controller may not manage Secrets here (" + e.getStatus().getMessage()
          + "). Watched namespaces need the Role of config/rbac/namespaced; with --all-namespaces, bind the ClusterRole "
          + "flotilla-controller-secrets in namespace " + job.namespace() + " (see config/cluster-wide)", e);
    }
  }
}
