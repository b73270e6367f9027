package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import dev.flotilla.controller.join.JoinModel;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("EnrolledIdentityModel: a party job mounts the identity its organisation enrolled, copied byte for byte beside it")
class EnrolledIdentityModelTest {
  static final String CONTROLLER_NS = "flotilla-system";
  static final JobModel PARTY_A = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));
  static final Identity A = Identity.party("fl.example.org", "fashion", "a");

  static CertificateAuthority federationCa;
  static Secret enrolledA;

  @BeforeAll
  static void enrolled() {
    federationCa = JobPki.newAuthority("federation CA", Duration.ofDays(365));
    enrolledA = enrolled(A);
  }

  /** The identity Secret the --join enroller writes for {@code identity}, signed by the federation's CA. */
  static Secret enrolled(Identity identity) {
    IssuedCertificate issued = federationCa.issue(LeafRequest.builder(identity).build());
    JoinModel.Join join = new JoinModel.Join(CONTROLLER_NS, "join-" + identity.name(), null, URI.create("https://coordinator:8443"),
        identity);
    return JoinModel.identitySecret(join, issued);
  }

  @Test
  @DisplayName("the name a job looks for is the one the enroller writes: flotilla-enrolled.<job>.<organisation>")
  void sameNameAsTheEnroller() {
    assertThat(EnrolledIdentityModel.secretName(PARTY_A)).isEqualTo("flotilla-enrolled.fashion.a")
        .isEqualTo(enrolledA.getMetadata().getName());
    assertThat(EnrolledIdentityModel.PREFIX).isEqualTo(JoinModel.IDENTITY_PREFIX);
    assertThat(enrolledA.getMetadata().getLabels())
        .containsEntry(EnrolledIdentityModel.COMPONENT_LABEL, EnrolledIdentityModel.COMPONENT);
  }

  @Test
  @DisplayName("usable only by the party it names: a server, a terminate-mode party, another domain or a Secret lacking a file is refused, naming why")
  void usableOnlyByItsParty() {
    assertThat(EnrolledIdentityModel.unusable(PARTY_A, enrolledA)).isEmpty();
    assertThat(EnrolledIdentityModel.unusable(PARTY_A, null)).contains("no Secret flotilla-enrolled.fashion.a");
    JobModel server = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"));
    assertThat(EnrolledIdentityModel.eligible(server)).isFalse();
    assertThat(EnrolledIdentityModel.unusable(server, enrolledA)).get().asString().contains("not a party in passthrough mode");
    IflearnerJob terminate = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    terminate.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
    assertThat(EnrolledIdentityModel.eligible(new JobModel(terminate))).isFalse();

    Secret otherDomain = enrolled(Identity.party("other.example.org", "fashion", "a"));
    assertThat(otherDomain.getMetadata().getName()).isEqualTo(enrolledA.getMetadata().getName());
    assertThat(EnrolledIdentityModel.unusable(PARTY_A, otherDomain)).get().asString()
        .contains("spiffe://other.example.org/job/fashion/party/a").contains("not the job's spiffe://fl.example.org/job/fashion/party/a");

    Secret noKey = new SecretBuilder(enrolledA).build();
    noKey.setData(new java.util.LinkedHashMap<>(enrolledA.getData()));
    noKey.getData().remove("tls.key");
    assertThat(EnrolledIdentityModel.unusable(PARTY_A, noKey)).contains("Secret flotilla-system/flotilla-enrolled.fashion.a has no tls.key");
  }

  @Test
  @DisplayName("the copy beside the job holds the very bytes of the enrolled key, certificate and CA, is owned by the job and says where it came from")
  void copy() {
    Secret copy = EnrolledIdentityModel.copy(PARTY_A, enrolledA);
    assertThat(copy.getMetadata().getNamespace()).isEqualTo("fl");
    assertThat(copy.getMetadata().getName()).isEqualTo("flotilla-enrolled.fashion.a");
    assertThat(copy.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(copy.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt").isEqualTo(enrolledA.getData());
    assertThat(copy.getMetadata().getOwnerReferences()).containsExactly(PARTY_A.ownerReference());
    assertThat(copy.getMetadata().getLabels()).isEqualTo(PARTY_A.labels());
    assertThat(copy.getMetadata().getAnnotations())
        .containsEntry(EnrolledIdentityModel.SOURCE_ANNOTATION, "flotilla-system/flotilla-enrolled.fashion.a")
        .containsEntry("flotilla.dev/identity", A.uri())
        .containsEntry("flotilla.dev/serial", enrolledA.getMetadata().getAnnotations().get("flotilla.dev/serial"))
        .containsEntry("flotilla.dev/renew-after", enrolledA.getMetadata().getAnnotations().get("flotilla.dev/renew-after"));
    assertThat(EnrolledIdentityModel.mountedInPlace(PARTY_A, enrolledA)).isFalse();
    JobModel beside = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", CONTROLLER_NS));
    assertThat(EnrolledIdentityModel.mountedInPlace(beside, enrolledA)).isTrue();
  }

  @Test
  @DisplayName("the pod mounts the enrolled Secret where <job>-tls would be, args unchanged; switching identity replaces the pod, a renewal does not")
  void podMountsIt() {
    Pod own = PodModel.desired(PARTY_A, null);
    Pod enrolled = PodModel.desired(PARTY_A, null, EnrolledIdentityModel.secretName(PARTY_A));
    Volume tls = enrolled.getSpec().getVolumes().stream().filter(v -> v.getName().equals(PodModel.TLS_VOLUME)).findFirst().orElseThrow();
    assertThat(tls.getSecret().getSecretName()).isEqualTo("flotilla-enrolled.fashion.a");
    assertThat(tls.getSecret().getDefaultMode()).isEqualTo(PodModel.SECRET_MODE);
    assertThat(own.getSpec().getVolumes().stream().filter(v -> v.getName().equals(PodModel.TLS_VOLUME)).findFirst().orElseThrow()
        .getSecret().getSecretName()).isEqualTo("fashion-party-a-tls");
    Container party = enrolled.getSpec().getContainers().get(0);
    assertThat(party.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo(PodModel.TLS_VOLUME);
      assertThat(m.getMountPath()).isEqualTo(PodModel.TLS_MOUNT_PATH);
      assertThat(m.getSubPath()).as("a subPath mount would never see a renewal").isNull();
    });
    assertThat(party.getArgs()).contains("--cert=/etc/flotilla/tls/tls.crt", "--key=/etc/flotilla/tls/tls.key", "--ca=/etc/flotilla/tls/ca.crt")
        .isEqualTo(own.getSpec().getContainers().get(0).getArgs());
    assertThat(PodModel.hash(enrolled)).isNotEqualTo(PodModel.hash(own))
        .isEqualTo(PodModel.hash(PodModel.desired(PARTY_A, null, EnrolledIdentityModel.secretName(PARTY_A))));
  }

  @Test
  @DisplayName("a renewed identity Secret brings back exactly the party jobs that mount it")
  void jobsUsing() {
    IflearnerJob a = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    IflearnerJob b = Samples.load("flotilla-fashion-mnist/party-b.yaml", "fl");
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    IflearnerJob broken = new IflearnerJob();
    assertThat(EnrolledIdentityModel.jobsUsing(List.of(a, b, server, broken), "flotilla-enrolled.fashion.a")).containsExactly(a);
    assertThat(EnrolledIdentityModel.jobsUsing(List.of(a, b, server), "flotilla-enrolled.fashion.server")).isEmpty();
  }
}
