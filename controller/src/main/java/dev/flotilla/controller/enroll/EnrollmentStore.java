package dev.flotilla.controller.enroll;

import dev.flotilla.certs.enroll.EnrollmentToken;
import dev.flotilla.certs.enroll.RevokedSerials;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.function.Supplier;

/**
 * Enrollment's state in the coordinator's API server ({@link EnrollmentModel}). Every change is a
 * read-modify-write under the object's resourceVersion, retried on conflict: two controllers, or two
 * parties racing with one token, cannot both spend its last use.
 */
public final class EnrollmentStore {
  private static final int ATTEMPTS = 5;

  private final KubernetesClient client;
  private final String controllerNamespace;

  public EnrollmentStore(KubernetesClient client, String controllerNamespace) {
    this.client = client;
    this.controllerNamespace = controllerNamespace;
  }

  public void create(TokenGrant grant) {
    client.secrets().inNamespace(controllerNamespace).resource(EnrollmentModel.tokenSecret(controllerNamespace, grant)).create();
  }

  /**
   * Checks {@code presented} against its stored grant at {@code now}, runs {@code beforeSpending} on
   * the grant (it may refuse), then spends one use. Returns the grant as it was checked.
   */
  public TokenGrant spend(EnrollmentToken presented, Instant now, java.util.function.Consumer<TokenGrant> beforeSpending) {
    return retrying(() -> {
      Secret secret = tokenSecret(presented);
      TokenGrant grant = EnrollmentModel.grantOf(secret);
      grant.check(presented, now);
      refuseRevoked(presented, secret);
      beforeSpending.accept(grant);
      client.secrets().inNamespace(controllerNamespace).resource(EnrollmentModel.updated(secret, grant.afterUse())).update();
      return grant;
    });
  }

  /**
   * The stored grant of {@code presented} when it is that token, unexpired at {@code now} and not revoked, used up or not
   * ({@link TokenGrant#checkUnexpired}); refused otherwise. Spends nothing.
   */
  public TokenGrant unexpiredGrant(EnrollmentToken presented, Instant now) {
    Secret secret = tokenSecret(presented);
    TokenGrant grant = EnrollmentModel.grantOf(secret);
    grant.checkUnexpired(presented, now);
    refuseRevoked(presented, secret);
    return grant;
  }

  private Secret tokenSecret(EnrollmentToken presented) {
    Secret secret = client.secrets().inNamespace(controllerNamespace).withName(EnrollmentModel.tokenSecretName(presented.id())).get();
    if (secret == null || !EnrollmentModel.TOKEN_TYPE.equals(secret.getType())) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "token " + presented.id() + " is not valid");
    }
    return secret;
  }

  private static void refuseRevoked(EnrollmentToken presented, Secret secret) {
    String revokedAt = EnrollmentModel.revokedAt(secret);
    if (revokedAt != null) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "token " + presented.id()
          + " was revoked by the coordinator at " + revokedAt + "; ask it for a new one");
    }
  }

  /**
   * Revokes the token {@code id} of {@code federation}: later enrollments with it are refused, naming
   * the revocation. Returns false when there is no such token. Certificates it already gave are revoked
   * with {@link #revoke}.
   */
  public boolean revokeToken(String id, String namespace, String domain, Instant now) {
    return retrying(() -> {
      Secret secret = client.secrets().inNamespace(controllerNamespace).withName(EnrollmentModel.tokenSecretName(id)).get();
      if (secret == null || !EnrollmentModel.TOKEN_TYPE.equals(secret.getType())) {
        return false;
      }
      TokenGrant grant = EnrollmentModel.grantOf(secret);
      if (!grant.namespace().equals(namespace) || !grant.domain().equals(domain)) {
        throw new IllegalArgumentException("token " + id + " is for the federation " + grant.namespace() + "/" + grant.domain());
      }
      if (EnrollmentModel.revokedAt(secret) == null) {
        client.secrets().inNamespace(controllerNamespace).resource(EnrollmentModel.revokedToken(secret, now)).update();
      }
      return true;
    });
  }

  /**
   * The spec of the Federation of {@code domain} in the controller's namespace, or null when there is none; a
   * member's {@code addressFrom} is read now, from the status of the Gateway or Ingress it names
   * ({@link dev.flotilla.controller.federation.MemberAddresses}).
   */
  public dev.flotilla.controller.api.FederationSpec federation(String domain) {
    return client.resources(dev.flotilla.controller.api.Federation.class).inNamespace(controllerNamespace).list().getItems().stream()
        .filter(f -> f.getSpec() != null && domain.equals(f.getSpec().getDomain()))
        .map(f -> dev.flotilla.controller.federation.MemberAddresses.resolve(f.getSpec(),
            new dev.flotilla.controller.federation.PublishedAddresses(client)))
        .findFirst().orElse(null);
  }

  /**
   * Notes that {@code issued} was issued to {@code organisation} of {@code domain} (what revocation finds later), dropping
   * the records of expired certificates at {@code now}; refused as {@link EnrollmentModel#withIssued} says.
   */
  public void recordIssued(String domain, String organisation, EnrollmentModel.Issued issued, Instant now, int perOrganisation) {
    rewriteEnrolled(domain, enrolled -> EnrollmentModel.withIssued(enrolled, organisation, issued, now, perOrganisation));
  }

  /**
   * Notes that the pod identity {@code issued} (its host and key digest set) was issued to {@code organisation}, as
   * {@link #recordIssued} does. Returns, writing nothing, the certificate recorded meanwhile for the same host and key
   * ({@link EnrollmentModel#keyIssuedBefore}): of two such requests at once, the second is answered with the first's.
   */
  public Optional<EnrollmentModel.Issued> recordHost(String domain, String organisation, EnrollmentModel.Issued issued,
      Instant now, int perOrganisation) {
    return retrying(() -> {
      ConfigMap current = enrolled(domain);
      Optional<EnrollmentModel.Issued> before = EnrollmentModel.keyIssuedBefore(EnrollmentModel.issued(current, organisation),
          issued.host(), issued.identityKey(), now);
      if (before.isEmpty()) {
        write(domain, current, enrolled -> EnrollmentModel.withIssued(enrolled, organisation, issued, now, perOrganisation));
      }
      return before;
    });
  }

  /**
   * Notes that {@code issued} renews {@code organisation}'s certificate {@code renewed} for the key of digest {@code key},
   * marking its line; refused as {@link EnrollmentModel#withRenewal} says. Returns, writing nothing, the certificate a
   * renewal of {@code renewed} for the same key recorded meanwhile ({@link EnrollmentModel#issuedBefore}): of two such
   * requests at once, the second is answered with the first's certificate.
   */
  public Optional<EnrollmentModel.Issued> recordRenewal(String domain, String organisation, BigInteger renewed,
      EnrollmentModel.Issued issued, String key, Instant now, int perOrganisation) {
    return retrying(() -> {
      ConfigMap current = enrolled(domain);
      Optional<EnrollmentModel.Issued> before = EnrollmentModel.issuedBefore(EnrollmentModel.issued(current, organisation),
          renewed, key, now);
      if (before.isEmpty()) {
        write(domain, current, enrolled -> EnrollmentModel.withRenewal(enrolled, organisation, renewed, issued, key, now,
            perOrganisation));
      }
      return before;
    });
  }

  /** Writes {@code change} of {@code domain}'s enrolled ConfigMap (made when absent); its checks run on the state written over. */
  private void rewriteEnrolled(String domain, UnaryOperator<ConfigMap> change) {
    retrying(() -> {
      write(domain, enrolled(domain), change);
      return null;
    });
  }

  private ConfigMap enrolled(String domain) {
    return client.configMaps().inNamespace(controllerNamespace).withName(EnrollmentModel.enrolledName(domain)).get();
  }

  /** Writes {@code change} of {@code current}, the enrolled ConfigMap of {@code domain} as read (null: absent, then made). */
  private void write(String domain, ConfigMap current, UnaryOperator<ConfigMap> change) {
    if (current == null) {
      client.configMaps().inNamespace(controllerNamespace)
          .resource(change.apply(EnrollmentModel.enrolled(controllerNamespace, domain))).create();
    } else {
      // under the read's resourceVersion: a concurrent write fails this one (409) and it is made again on the new state
      client.configMaps().inNamespace(controllerNamespace).resource(change.apply(current)).update();
    }
  }

  /** The certificates recorded as issued to {@code organisation} of {@code domain}. */
  public List<EnrollmentModel.Issued> issued(String domain, String organisation) {
    return EnrollmentModel.issued(
        enrolled(domain), organisation);
  }

  /** The serials issued to {@code organisation} of {@code domain} (none: it never enrolled). */
  public List<BigInteger> issuedTo(String domain, String organisation) {
    return EnrollmentModel.issuedTo(
        enrolled(domain), organisation);
  }

  /** The organisations enrolled in {@code domain}: whoever was issued a certificate there. */
  public java.util.Set<String> organisations(String domain) {
    ConfigMap enrolled = enrolled(domain);
    return enrolled == null || enrolled.getData() == null ? java.util.Set.of() : java.util.Set.copyOf(enrolled.getData().keySet());
  }

  /** The revoked serials of {@code domain}'s job namespace (none when nothing was revoked). */
  public RevokedSerials revoked(String namespace, String domain) {
    return EnrollmentModel.revokedOf(client.configMaps().inNamespace(namespace).withName(EnrollmentModel.revokedName(domain)).get());
  }

  /**
   * Revokes every certificate issued to {@code organisation} in {@code domain}: their serials go into
   * {@code flotilla-revoked.<domain>} in {@code namespace}. Returns the serials newly revoked.
   */
  public List<BigInteger> revoke(String namespace, String domain, String organisation) {
    ConfigMap enrolled = enrolled(domain);
    List<BigInteger> issued = EnrollmentModel.issuedTo(enrolled, organisation);
    return retrying(() -> {
      ConfigMap current = client.configMaps().inNamespace(namespace).withName(EnrollmentModel.revokedName(domain)).get();
      RevokedSerials serials = EnrollmentModel.revokedOf(current);
      List<BigInteger> fresh = issued.stream().filter(s -> !serials.isRevoked(s)).toList();
      RevokedSerials next = serials;
      for (BigInteger serial : fresh) {
        next = next.with(serial, organisation);
      }
      ConfigMap desired = EnrollmentModel.revoked(namespace, domain, next);
      if (current == null) {
        client.configMaps().inNamespace(namespace).resource(desired).create();
      } else if (!fresh.isEmpty()) {
        desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
        client.configMaps().inNamespace(namespace).resource(desired).update();
      }
      return fresh;
    });
  }

  /** Runs {@code step} again when its write lost a race (409 Conflict) or its create found the object made meanwhile. */
  private static <T> T retrying(Supplier<T> step) {
    for (int attempt = 1; ; attempt++) {
      try {
        return step.get();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
