package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.ClaimProof;
import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's key for status.claimsProof ({@link ClaimProof}): Secret {@value #NAME} in the controller's namespace,
 * beside the CAs and under the same Role (secrets get and create there), 32 random bytes made by whichever replica needs
 * it first and read once. Tenants, who may write their jobs' status, never read it.
 */
public final class ClaimKey implements Supplier<ClaimProof> {
  private static final Logger LOG = LoggerFactory.getLogger(ClaimKey.class);
  public static final String NAME = "flotilla-claims-key";
  static final String KEY = "key";

  private final KubernetesClient client;
  private final String controllerNamespace;
  private ClaimProof proof;

  public ClaimKey(KubernetesClient client, String controllerNamespace) {
    this.client = client;
    this.controllerNamespace = controllerNamespace;
  }

  @Override
  public synchronized ClaimProof get() {
    if (proof == null) {
      proof = ClaimProof.withKey(Base64.getDecoder().decode(load().getData().get(KEY)));
    }
    return proof;
  }

  private Secret load() {
    Secret held = client.secrets().inNamespace(controllerNamespace).withName(NAME).get();
    if (held != null) {
      return held;
    }
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Secret desired = new SecretBuilder().withNewMetadata().withName(NAME).withNamespace(controllerNamespace)
        .withLabels(Map.of(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER)).endMetadata()
        .withType("Opaque").withData(Map.of(KEY, Base64.getEncoder().encodeToString(key))).build();
    try {
      Secret created = client.secrets().inNamespace(controllerNamespace).resource(desired).create();
      LOG.info("{}/{}: the key that proves the jobs' status.claims made", controllerNamespace, NAME);
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // made by another replica meanwhile: use that one
      return client.secrets().inNamespace(controllerNamespace).withName(NAME).get();
    }
  }
}
