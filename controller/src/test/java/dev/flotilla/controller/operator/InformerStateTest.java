package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.model.CertificateAuthorityModel;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.Samples;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("InformerState: jobs by namespace and CA Secrets by the namespace they serve, from the informers' indexes")
class InformerStateTest {

  KubernetesClient client;
  SharedIndexInformer<IflearnerJob> jobs;
  SharedIndexInformer<Secret> cas;
  SharedIndexInformer<Secret> joins;

  @AfterEach
  void close() {
    if (jobs != null) {
      jobs.close();
    }
    if (cas != null) {
      cas.close();
    }
    if (joins != null) {
      joins.close();
    }
  }

  static List<String> names(List<? extends HasMetadata> objects) {
    return objects.stream().map(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()).sorted().toList();
  }

  @Test
  @DisplayName("jobsIn answers one namespace's jobs from the cache, and follows a job created later")
  void jobsByNamespace() {
    for (String[] j : new String[][] {{"flotilla-fashion-mnist/server.yaml", "team"}, {"flotilla-fashion-mnist/party-a.yaml", "team"},
        {"flotilla-fashion-mnist/party-b.yaml", "other"}}) {
      IflearnerJob job = Samples.load(j[0], j[1]);
      job.getMetadata().setUid(null);
      client.resource(job).create();
    }
    InformerState state = new InformerState();
    jobs = client.resources(IflearnerJob.class).inAnyNamespace().runnableInformer(0);
    state.addJobs(jobs);
    jobs.run();
    assertThat(names(state.jobsIn("team"))).containsExactly("team/fashion-party-a", "team/fashion-server");
    assertThat(names(state.jobsIn("other"))).containsExactly("other/fashion-party-b");
    assertThat(state.jobsIn("nobody")).isEmpty();
    assertThat(names(state.allJobs())).hasSize(3);

    IflearnerJob late = Samples.load("flotilla-fashion-mnist/party-c.yaml", "other");
    late.getMetadata().setUid(null);
    client.resource(late).create();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(names(state.jobsIn("other"))).containsExactly("other/fashion-party-b", "other/fashion-party-c"));
  }

  @Test
  @DisplayName("certificateAuthoritiesFor answers by the flotilla.dev/ca-for-namespace label; asked before its informer exists, it refuses "
      + "rather than answer an empty bundle")
  void caSecretsByServedNamespace() {
    InformerState state = new InformerState();
    assertThatThrownBy(() -> state.certificateAuthoritiesFor("team")).hasMessageContaining("not running yet");
    for (String[] ca : new String[][] {{"team", "fl.example.org"}, {"team", "iflearner.com"}, {"other", "iflearner.com"}}) {
      client.secrets().inNamespace("flotilla-system").resource(
          CertificateAuthorityModel.secret("flotilla-system", ca[0], ca[1], "cert", "key")).create();
    }
    cas = client.secrets().inNamespace("flotilla-system").withLabel(CertificateAuthorityModel.NAMESPACE_LABEL).runnableInformer(0);
    state.certificateAuthorities(cas);
    cas.run();
    assertThat(names(state.certificateAuthoritiesFor("team")))
        .containsExactly("flotilla-system/flotilla-ca.team.fl.example.org", "flotilla-system/flotilla-ca.team.iflearner.com");
    assertThat(names(state.certificateAuthoritiesFor("other"))).containsExactly("flotilla-system/flotilla-ca.other.iflearner.com");
    assertThat(state.certificateAuthoritiesFor("nobody")).isEmpty();
  }

  @Test
  @DisplayName("joinSecrets answers the join Secrets from the informer's store and follows an edit; asked before the informer "
      + "has listed them, it refuses rather than answer that no identity is restricted")
  void joinSecretsFromTheInformer() {
    InformerState state = new InformerState();
    assertThatThrownBy(state::joinSecrets).hasMessageContaining("has not listed them yet");
    Secret join = client.secrets().inNamespace("flotilla-system").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("join-alice").endMetadata().withType(JoinModel.TYPE)
        .addToData(JoinModel.NAMESPACES, CertificateModel.encode("hospital")).build()).create();
    joins = client.secrets().inNamespace("flotilla-system").withField("type", JoinModel.TYPE).runnableInformer(0);
    state.joinSecrets(joins);
    assertThatThrownBy(state::joinSecrets).as("set, not yet run").hasMessageContaining("has not listed them yet");
    joins.run();
    assertThat(names(state.joinSecrets())).containsExactly("flotilla-system/join-alice");

    join.setData(java.util.Map.of(JoinModel.NAMESPACES, CertificateModel.encode("tenant")));
    client.secrets().inNamespace("flotilla-system").resource(join).update();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(state.joinSecrets()).singleElement()
        .satisfies(s -> assertThat(s.getData()).containsEntry(JoinModel.NAMESPACES,
            CertificateModel.encode("tenant"))));
  }
}
