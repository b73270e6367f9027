package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.Samples;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("EnrolledIdentities: an N-pod job's pods are issued identities only against an organisation Secret that is the job's")
class EnrolledIdentitiesTest {
  static final String CONTROLLER_NS = "flotilla-system";
  static final CertificateAuthority FEDERATION_CA = JobPki.newAuthority("federation CA", Duration.ofDays(365));

  KubernetesClient client;
  final List<JoinModel.Join> asked = new ArrayList<>();

  EnrolledIdentities identities() {
    Function<JoinModel.Join, EnrollmentClient> coordinators = join -> {
      asked.add(join);
      throw new IllegalStateException("the coordinator " + join.endpoint() + " was asked");
    };
    return new EnrolledIdentities(client, new ChildApplier(client), CONTROLLER_NS, coordinators, Clock.systemUTC());
  }

  /** Party a of job fashion in fl.example.org, split over two pods of two virtual parties each. */
  static JobModel twoPods() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/party-a.yaml", "hospital");
    job.getSpec().setVirtualParties(2);
    job.getSpec().setVirtualPartyPods(2);
    return new JobModel(job);
  }

  /** What the --join enroller writes for {@code identity}, stored in the controller's namespace. */
  Secret stored(Identity identity) {
    JoinModel.Join join = new JoinModel.Join(CONTROLLER_NS, "join-" + identity.name(), null, URI.create("https://coordinator:8443"),
        identity);
    Secret secret = JoinModel.identitySecret(join, FEDERATION_CA.issue(LeafRequest.builder(identity).build()));
    return client.secrets().inNamespace(CONTROLLER_NS).resource(secret).create();
  }

  @Test
  @DisplayName("a Secret under the organisation's name holding another domain's identity: no pod identity is asked for, none "
      + "mounted (as for a one-pod job); the pure check names both identities")
  void anotherDomainsSecretIsNotUsed() {
    JobModel job = twoPods();
    Secret other = stored(Identity.party("other.example.org", "fashion", "a"));
    assertThat(other.getMetadata().getName()).isEqualTo(EnrolledIdentityModel.secretName(job));

    assertThat(identities().mountPods(job)).isEmpty();
    assertThat(asked).as("no coordinator asked").isEmpty();
    assertThat(client.secrets().inNamespace(CONTROLLER_NS).list().getItems()).extracting(s -> s.getMetadata().getName())
        .containsExactly(other.getMetadata().getName());
    assertThat(EnrolledIdentityModel.unusableForPods(job, other)).contains("Secret " + CONTROLLER_NS + "/flotilla-enrolled.fashion.a "
        + "holds spiffe://other.example.org/job/fashion/party/a, not the job's spiffe://fl.example.org/job/fashion/party/a");
  }

  @Test
  @DisplayName("a Secret lacking its key is not used either; the organisation's own identity (not the job's virtual-party "
      + "host identity) is the one the pods are issued against")
  void incompleteSecretIsNotUsed() {
    JobModel job = twoPods();
    Secret own = stored(Identity.party("fl.example.org", "fashion", "a"));
    assertThat(EnrolledIdentityModel.unusableForPods(job, own)).isEmpty();
    assertThat(EnrolledIdentityModel.unusable(job, own)).as("mount()'s check is for the job's own identity").isPresent();

    Secret noKey = client.secrets().inNamespace(CONTROLLER_NS).withName(own.getMetadata().getName()).get();
    noKey.setData(new LinkedHashMap<>(noKey.getData()));
    noKey.getData().remove("tls.key");
    client.secrets().inNamespace(CONTROLLER_NS).resource(noKey).update();

    Optional<List<EnrolledIdentities.Mounted>> mounted = identities().mountPods(job);
    assertThat(mounted).isEmpty();
    assertThat(asked).isEmpty();
  }
}
