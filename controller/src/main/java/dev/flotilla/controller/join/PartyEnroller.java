package dev.flotilla.controller.join;

import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.RenewalPolicy;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.certs.enroll.EnrollmentException;
import dev.flotilla.certs.enroll.RevokedSerials;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrolls and renews one join Secret's identity in the party organisation's own cluster: the key is
 * made here, in memory, and written only into the identity Secret beside the join Secret (a renewal's key also into
 * the renewal Secret, before it is asked, until its certificate is stored: asked again after a lost answer, the
 * coordinator answers that key with the certificate it recorded); only the CSR
 * goes to the coordinator (first with the join token, trusted by its CA pin; later over mutual TLS
 * with the current certificate, when {@link RenewalPolicy} says it is due). What happened is written
 * back on the join Secret ({@value JoinModel#STATE}, {@value JoinModel#MESSAGE}): {@code Enrolled},
 * {@code Renewed}, {@code Refused} (the coordinator's reason; a refused token is not tried again until
 * the join Secret changes), {@code Unreachable} (tried again after {@link #RETRY}) or {@code Invalid}.
 */
public final class PartyEnroller {
  private static final Logger LOG = LoggerFactory.getLogger(PartyEnroller.class);
  /** How soon an unreachable coordinator, or a refused renewal, is tried again. */
  static final Duration RETRY = Duration.ofMinutes(1);

  /** The outcome of one pass, and when the join needs looking at again (null: only when it changes). */
  public record Result(String state, String message, Instant nextCheck) {}

  private final KubernetesClient client;
  private final PendingKeys pendingKeys;
  private final Function<JoinModel.Join, EnrollmentClient> clients;
  private final Clock clock;

  public PartyEnroller(KubernetesClient client, Function<JoinModel.Join, EnrollmentClient> clients, Clock clock) {
    this.client = client;
    this.pendingKeys = new PendingKeys(client);
    this.clients = clients;
    this.clock = clock;
  }

  /** The HTTP client of a join: its endpoint and domain, 30 s for each request. */
  public static EnrollmentClient clientFor(JoinModel.Join join) {
    return new EnrollmentClient(join.endpoint(), join.domain(), Duration.ofSeconds(30));
  }

  public Result reconcile(String namespace, String name) {
    Secret joinSecret = client.secrets().inNamespace(namespace).withName(name).get();
    if (joinSecret == null) {
      return new Result("Gone", "the join Secret is gone", null);
    }
    JoinModel.Join join;
    try {
      join = JoinModel.parse(joinSecret);
    } catch (IllegalArgumentException e) {
      return report(joinSecret, new Result("Invalid", e.getMessage(), null), "");
    }
    Secret current = client.secrets().inNamespace(namespace).withName(join.identitySecretName()).get();
    Result result = current == null ? enroll(joinSecret, join) : renewIfDue(join, current);
    return report(joinSecret, result, join.token().token().id());
  }

  private Result enroll(Secret joinSecret, JoinModel.Join join) {
    Map<String, String> said = annotations(joinSecret);
    if ("Refused".equals(said.get(JoinModel.STATE)) && join.token().token().id().equals(said.get(JoinModel.TOKEN_ID))) {
      // the coordinator said no to this token; asking again would spend an attempt and change nothing
      return new Result("Refused", said.get(JoinModel.MESSAGE), null);
    }
    CertificateSigningRequest csr = request(join, null, KeyType.EC_P256);
    IssuedCertificate issued;
    try {
      issued = clients.apply(join).enroll(join.token(), join.identity(), csr);
    } catch (EnrollmentException e) {
      return failed(join, e);
    } catch (PkiException e) {
      return new Result("Refused", "the coordinator's answer is not usable: " + e.getMessage(), null);
    }
    client.secrets().inNamespace(join.namespace()).resource(JoinModel.identitySecret(join, issued)).create();
    pendingKeys.forget(join.namespace(), join.renewalSecretName());
    LOG.info("{}: enrolled, serial {}; key and certificate in Secret {}", join, RevokedSerials.hex(issued.certificate().getSerialNumber()),
        join.identitySecretName());
    return new Result("Enrolled", "serial " + RevokedSerials.hex(issued.certificate().getSerialNumber()) + " in Secret "
        + join.identitySecretName() + ", renewed after " + RenewalPolicy.renewalTime(issued.certificate()),
        RenewalPolicy.renewalTime(issued.certificate()));
  }

  private Result renewIfDue(JoinModel.Join join, Secret current) {
    IssuedCertificate held = JoinModel.identityOf(current);
    Instant due = RenewalPolicy.renewalTime(held.certificate());
    if (clock.instant().isBefore(due)) {
      return new Result(null, null, due);
    }
    CertificateSigningRequest csr = request(join, held, KeyType.of(held.privateKey()));
    IssuedCertificate renewed;
    try {
      renewed = clients.apply(join).renew(held, csr);
    } catch (EnrollmentException e) {
      Result failed = failed(join, e);
      // the current certificate still serves until it expires: try again, whatever the reason
      return new Result("Refused".equals(failed.state()) ? "RenewalRefused" : failed.state(), failed.message(),
          clock.instant().plus(RETRY));
    }
    Secret next = JoinModel.identitySecret(join, renewed);
    next.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
    client.secrets().inNamespace(join.namespace()).resource(next).update();
    pendingKeys.forget(join.namespace(), join.renewalSecretName());
    String serials = RevokedSerials.hex(held.certificate().getSerialNumber()) + " -> "
        + RevokedSerials.hex(renewed.certificate().getSerialNumber());
    LOG.info("{}: renewed, serial {}", join, serials);
    return new Result("Renewed", "serial " + serials + " in Secret " + join.identitySecretName() + ", renewed after "
        + RenewalPolicy.renewalTime(renewed.certificate()), RenewalPolicy.renewalTime(renewed.certificate()));
  }

  /**
   * The CSR to enroll ({@code held} null) or renew {@code held} with: for the key an earlier attempt kept in the renewal
   * Secret ({@link PendingKeys}) unless the certificate is not {@linkplain IssuedCertificate#renewableWith renewable with}
   * it (a renewal or the enrollment stored, the Secret not yet emptied), else for a new one of {@code type}.
   */
  private CertificateSigningRequest request(JoinModel.Join join, IssuedCertificate held, KeyType type) {
    PendingKeys.Request request = pendingKeys.request(join.namespace(), join.renewalSecretName(), join.identity(),
        List.of(join.partyHost()), type, k -> held == null || held.renewableWith(k));
    if (request.kept()) {
      LOG.info("{}: {} with the key kept in Secret {} (an earlier answer was not stored)", join,
          held == null ? "enrolling" : "renewing", join.renewalSecretName());
    }
    return request.csr();
  }

  private Result failed(JoinModel.Join join, EnrollmentException e) {
    LOG.warn("{}: {}", join, e.getMessage());
    if (e.status() == EnrollmentException.UNREACHABLE || e.status() == 429 || e.status() >= 500) {
      return new Result("Unreachable", e.getMessage(), clock.instant().plus(RETRY));
    }
    return new Result("Refused", e.getMessage(), null);
  }

  /** Writes the state on the join Secret when it changed (a pass that changed nothing writes nothing). */
  private Result report(Secret joinSecret, Result result, String tokenId) {
    Map<String, String> said = annotations(joinSecret);
    if (result.state() != null && (!result.state().equals(said.get(JoinModel.STATE))
        || !String.valueOf(result.message()).equals(said.get(JoinModel.MESSAGE)) || !tokenId.equals(said.get(JoinModel.TOKEN_ID)))) {
      String message = result.message() == null ? "" : result.message();
      client.secrets().inNamespace(joinSecret.getMetadata().getNamespace()).withName(joinSecret.getMetadata().getName())
          .edit(s -> {
            annotations(s).put(JoinModel.STATE, result.state());
            s.getMetadata().getAnnotations().put(JoinModel.TOKEN_ID, tokenId);
            s.getMetadata().getAnnotations().put(JoinModel.MESSAGE, message.substring(0, Math.min(message.length(), 1000)));
            return s;
          });
    }
    return result;
  }

  private static Map<String, String> annotations(Secret secret) {
    if (secret.getMetadata().getAnnotations() == null) {
      secret.getMetadata().setAnnotations(new java.util.LinkedHashMap<>());
    }
    return secret.getMetadata().getAnnotations();
  }
}
