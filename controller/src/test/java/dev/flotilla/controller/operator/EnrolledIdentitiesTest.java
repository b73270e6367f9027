package dev.flotilla.controller.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("EnrolledIdentities: an N-pod job's pods are issued identities only against an organisation Secret that is the job's")
class EnrolledIdentitiesTest {
  static final String CONTROLLER_NS = "flotilla-system";
  static final CertificateAuthority FEDERATION_CA = JobPki.newAuthority("federation CA", Duration.ofDays(365));

  KubernetesClient client;
  KubernetesMockServer server;
  final List<JoinModel.Join> asked = new ArrayList<>();
  /** The controller's informer on the join Secrets, and the cache reconciles read them from. */
  SharedIndexInformer<Secret> joins;
  final InformerState cache = new InformerState();

  @BeforeEach
  void informOnJoinSecrets() {
    joins = client.secrets().inNamespace(CONTROLLER_NS).withField("type", JoinModel.TYPE).runnableInformer(0);
    cache.joinSecrets(joins);
    joins.run();
  }

  @AfterEach
  void stopInforming() {
    joins.close();
  }

  EnrolledIdentities identities() {
    return identities(cache);
  }

  EnrolledIdentities identities(ObservedState observed) {
    Function<JoinModel.Join, EnrollmentClient> coordinators = join -> {
      asked.add(join);
      throw new IllegalStateException("the coordinator " + join.endpoint() + " was asked");
    };
    return new EnrolledIdentities(client, new ChildApplier(client), CONTROLLER_NS, observed, coordinators, Clock.systemUTC());
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

  /** Organisation {@code identity}'s join Secret (type flotilla.dev/join) in the controller's namespace, with key namespaces. */
  void joinSecret(Identity identity, String namespaces) {
    java.util.Map<String, String> data = new LinkedHashMap<>();
    data.put(JoinModel.TOKEN, "abcdef.0123456789abcdef:sha256:" + "0".repeat(64));
    data.put(JoinModel.ENDPOINT, "https://coordinator:8443");
    data.put(JoinModel.DOMAIN, identity.trustDomain());
    data.put(JoinModel.JOB, identity.job());
    data.put(JoinModel.ORGANISATION, identity.name());
    data.put(JoinModel.NAMESPACES, namespaces);
    data.replaceAll((k, v) -> dev.flotilla.controller.model.CertificateModel.encode(v));
    Secret join = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("join-" + identity.name())
        .withNamespace(CONTROLLER_NS).endMetadata().withType(JoinModel.TYPE).withData(data).build();
    Secret existing = client.secrets().inNamespace(CONTROLLER_NS).withName("join-" + identity.name()).get();
    Secret written;
    if (existing == null) {
      written = client.secrets().inNamespace(CONTROLLER_NS).resource(join).create();
    } else {
      existing.setData(join.getData());
      written = client.secrets().inNamespace(CONTROLLER_NS).resource(existing).update();
    }
    // as the controller does, the reconcile it triggers reads the cache once the informer has seen the change
    await("the informer holds the join Secret as written").atMost(Duration.ofSeconds(30)).until(() -> cache.joinSecrets().stream()
        .anyMatch(s -> s.getMetadata().getResourceVersion().equals(written.getMetadata().getResourceVersion())));
  }

  List<String> secretsIn(String namespace) {
    return client.secrets().inNamespace(namespace).list().getItems().stream().map(s -> s.getMetadata().getName()).toList();
  }

  @Test
  @DisplayName("a one-pod party job in a namespace its organisation's join Secret does not list: refused naming the namespace, "
      + "the organisation, the join Secret and what it allows; nothing copied beside the job. A job in a listed namespace "
      + "mounts the identity")
  void unlistedNamespaceGetsNoCopy() {
    Identity a = Identity.party("fl.example.org", "fashion", "a");
    JobModel job = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "tenant"));
    stored(a);
    joinSecret(a, "hospital,research");

    assertThatThrownBy(() -> identities().mount(job))
        .isInstanceOf(EnrolledIdentities.NamespaceRefused.class)
        .hasMessage("namespace tenant may not use organisation a's enrolled identity: join Secret " + CONTROLLER_NS
            + "/join-a allows only hospital, research");
    assertThat(secretsIn("tenant")).as("no copy in the refused namespace").isEmpty();

    // a listed namespace passes (the job beside the identity: the mock server cannot create by server-side apply, the IT copies)
    JobModel beside = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", CONTROLLER_NS));
    assertThatThrownBy(() -> identities().mount(beside)).isInstanceOf(EnrolledIdentities.NamespaceRefused.class);
    joinSecret(a, "hospital," + CONTROLLER_NS);
    assertThat(identities().mount(beside)).hasValueSatisfying(m -> assertThat(m.secretName()).isEqualTo("flotilla-enrolled.fashion.a"));
  }

  @Test
  @DisplayName("an N-pod job in an unlisted namespace: refused before the coordinator is asked for any pod identity; no pod "
      + "Secret is made in the controller's namespace nor copied beside the job")
  void unlistedNamespaceGetsNoPodIdentities() {
    Identity a = Identity.party("fl.example.org", "fashion", "a");
    JobModel job = twoPods(); // in namespace hospital
    Secret own = stored(a);
    joinSecret(a, "research");

    assertThatThrownBy(() -> identities().mountPods(job))
        .isInstanceOf(EnrolledIdentities.NamespaceRefused.class)
        .hasMessage("namespace hospital may not use organisation a's enrolled identity: join Secret " + CONTROLLER_NS
            + "/join-a allows only research");
    assertThat(asked).as("no coordinator asked").isEmpty();
    assertThat(secretsIn(CONTROLLER_NS)).containsExactlyInAnyOrder(own.getMetadata().getName(), "join-a");
    assertThat(secretsIn("hospital")).isEmpty();
  }

  /** Every request the API server received, as "METHOD path?query", in order (the server hands each out once). */
  final List<String> received = new ArrayList<>();

  /** The requests the API server received from request number {@code from} on. */
  List<String> requestsSince(int from) throws InterruptedException {
    for (int n = server.getRequestCount(); received.size() < n; ) {
      var request = server.takeRequest(5, TimeUnit.SECONDS);
      received.add(request.getMethod() + " " + request.getPath());
    }
    return List.copyOf(received.subList(from, received.size()));
  }

  @Test
  @DisplayName("mount and mountPods read the join Secrets from the controller's informer: a refused job costs one request (the "
      + "identity Secret), no list of join Secrets; an edit of key namespaces is answered as soon as the informer has it")
  void joinSecretsComeFromTheCache() throws InterruptedException {
    Identity a = Identity.party("fl.example.org", "fashion", "a");
    stored(a);
    joinSecret(a, "research");
    // beside the identity, so mount() copies nothing (the mock server cannot create by server-side apply)
    JobModel onePod = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", CONTROLLER_NS));
    JobModel twoPods = twoPods(); // in namespace hospital
    String getIdentity = "GET /api/v1/namespaces/" + CONTROLLER_NS + "/secrets/flotilla-enrolled.fashion.a";

    int before = server.getRequestCount();
    assertThatThrownBy(() -> identities().mount(onePod)).isInstanceOf(EnrolledIdentities.NamespaceRefused.class);
    assertThatThrownBy(() -> identities().mountPods(twoPods)).isInstanceOf(EnrolledIdentities.NamespaceRefused.class);
    assertThat(requestsSince(before)).containsExactly(getIdentity, getIdentity);

    // what the cache saves: read through the API server, each reconcile also lists the join Secrets
    before = server.getRequestCount();
    assertThatThrownBy(() -> identities(ObservedState.direct(client, CONTROLLER_NS)).mount(onePod))
        .isInstanceOf(EnrolledIdentities.NamespaceRefused.class);
    assertThat(requestsSince(before)).hasSize(2).first().isEqualTo(getIdentity);

    joinSecret(a, "hospital," + CONTROLLER_NS);
    assertThat(identities().mount(onePod)).as(CONTROLLER_NS + " listed now").isPresent();
    assertThatThrownBy(() -> identities().mountPods(twoPods)).as("hospital listed now: the coordinator of the cached join is asked")
        .isInstanceOf(EnrolledIdentities.PodIdentitiesUnavailable.class).hasMessageContaining("https://coordinator:8443");
    assertThat(asked).singleElement().satisfies(join -> assertThat(join.name()).isEqualTo("join-a"));
  }
}
