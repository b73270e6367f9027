package dev.flotilla.controller.enroll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.Role;
import dev.flotilla.certs.SigningPolicy;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the coordinator signs for a renewal refused at the bound: nothing. The federation's CA is swapped, after the first
 * renewal, for one that has expired, so that any signature fails (403 "CSR refused: CA certificate ... expired"); a
 * refusal that comes before the CA is asked keeps its own status and message.
 */
@EnableKubernetesMockClient(crud = true)
@DisplayName("a renewal at the bound for another key is refused before anything is signed or recorded")
class RenewalSigningTest {
  static final String CONTROLLER_NS = "flotilla-system";
  static final String JOB_NS = "fl";
  static final String DOMAIN = "fl.example.org";

  KubernetesClient client;

  static CertificateSigningRequest csr(Identity identity) {
    return CertificateSigningRequest.create(identity, List.of("fashion.b.party." + DOMAIN), KeyType.EC_P256);
  }

  @Test
  @DisplayName("organisation b at a bound of 2 renews (200, recorded); with the CA unable to sign, its renewal for another "
      + "key is still refused with 409 and the record is unchanged, while the same key's renewal reaches the CA (403, expired)")
  void aRefusedRenewalSignsNothing() throws Exception {
    CertificateAuthorities authorities = new CertificateAuthorities(client, CONTROLLER_NS, ObservedState.direct(client, CONTROLLER_NS));
    EnrollmentStore store = new EnrollmentStore(client, CONTROLLER_NS);
    EnrollmentService service = new EnrollmentService(new EnrollmentService.Federation(JOB_NS, DOMAIN), authorities, store,
        Clock.systemUTC(), 2);
    Identity b = Identity.party(DOMAIN, "fashion", "b");
    SigningPolicy policy = SigningPolicy.forTrustDomain(DOMAIN).onlyRoles(Role.PARTY);
    IssuedCertificate own = authorities.ensure(JOB_NS, DOMAIN).ca().sign(csr(b), Role.PARTY, policy);
    for (IssuedCertificate held : List.of(own, authorities.ensure(JOB_NS, DOMAIN).ca().sign(csr(b), Role.PARTY, policy))) {
      store.recordIssued(DOMAIN, "b", new EnrollmentModel.Issued(held.certificate().getSerialNumber(),
          held.certificate().getNotAfter().toInstant(), null), Instant.now(), 2);
    }
    X509Certificate[] presented = {own.certificate()};
    CertificateSigningRequest pending = csr(b);
    service.renew(presented, pending.pem());
    List<EnrollmentModel.Issued> recorded = store.issued(DOMAIN, "b");
    assertThat(recorded).hasSize(3);

    unableToSign();
    EnrollmentRefusal otherKey = catchThrowableOfType(() -> service.renew(presented, csr(b).pem()), EnrollmentRefusal.class);
    EnrollmentRefusal sameKey = catchThrowableOfType(() -> service.renew(presented, pending.pem()), EnrollmentRefusal.class);

    assertThat(otherKey.status()).isEqualTo(409);
    assertThat(otherKey.getMessage()).contains("was renewed already, to serial ").contains(" for another key: renew with that "
        + "certificate. organisation b holds 3 unexpired certificates");
    assertThat(sameKey.status()).as("the same key's renewal is signed again: the CA is asked").isEqualTo(403);
    assertThat(sameKey.getMessage()).startsWith("CSR refused: CA certificate ").contains(" expired at ");
    assertThat(store.issued(DOMAIN, "b")).as("nothing recorded").isEqualTo(recorded);
  }

  /** Replaces the federation's CA by one that expired: every signature fails from the next request on. */
  void unableToSign() throws InterruptedException {
    CertificateAuthority expiring = CertificateAuthority.createRoot("expired", Duration.ofMillis(1), KeyType.EC_P256);
    Instant expired = expiring.certificate().getNotAfter().toInstant();
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), expired).toMillis()) + 1100);
    String name = CertificateAuthorityModel.secretName(JOB_NS, DOMAIN);
    Secret current = client.secrets().inNamespace(CONTROLLER_NS).withName(name).get();
    Secret replaced = CertificateAuthorityModel.secret(CONTROLLER_NS, JOB_NS, DOMAIN, Pem.encode(expiring.certificate()),
        expiring.privateKeyPem());
    replaced.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
    client.secrets().inNamespace(CONTROLLER_NS).resource(replaced).update();
  }
}
