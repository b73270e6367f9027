package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.certs.enroll.EnrollmentException;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.enroll.AttemptLimiter;
import dev.flotilla.controller.enroll.EnrollmentServer;
import dev.flotilla.controller.enroll.EnrollmentService;
import dev.flotilla.controller.enroll.EnrollmentModel;
import dev.flotilla.controller.enroll.EnrollmentStore;
import dev.flotilla.controller.join.JoinController;
import dev.flotilla.controller.join.JoinModel;
import dev.flotilla.controller.join.PartyEnroller;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.IflearnerJobReconciler;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.testing.ManualClock;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's cluster (the class's own kube-apiserver: the enrollment endpoint, the aggregator's job)
 * and party organisation a's cluster (a second kube-apiserver: its controller with {@code --join} and the
 * job controller, both in this JVM). Organisation a enrolls through its join Secret; its party job's pod
 * mounts the enrolled identity, whose CA is the one the coordinator's aggregator was issued from, and a
 * renewal reaches the pod's Secret without replacing the pod. No kubelet runs: the Pod is asserted as the
 * API server holds it.
 */
@DisplayName("a party job's pod mounts the identity its organisation enrolled with, across two clusters; renewal changes the mounted Secret in place")
class EnrolledPartyPodIT extends OnKubeApiServer {
  static final String CONTROLLER_NS = "flotilla-system";
  static final String SERVER_NS = "fl";
  static final String PARTY_NS = "hospital";
  /** Namespaces of tenants of the party cluster, watched too: a join Secret may leave them out. */
  static final String TENANT_NS = "tenant";
  static final String TENANT_PODS_NS = "tenant-pods";
  /** A namespace of the party cluster nothing watches: a test's PartyEnroller passes there are the only ones. */
  static final String RETRY_NS = "enroll-retry";
  static final String DOMAIN = "fl.example.org";
  static final String JOB = "fashion";
  static final String ENROLLED = "flotilla-enrolled.fashion.a";
  static final String PARTY_JOB = "fashion-party-a";
  static final Duration WAIT = Duration.ofSeconds(120);

  static KubeAPIServer partyApi;
  static KubernetesClient coordinator;
  static KubernetesClient party;
  static Path coordinatorKubeconfig;
  static CertificateAuthorities authorities;
  static EnrollmentServer endpoint;
  static JoinController joins;
  static Controller partyController;

  @BeforeAll
  static void twoClusters() throws Exception {
    coordinator = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    partyApi = startAnother();
    party = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(partyApi.getKubeConfigYaml())).build();
    assertThat(party.getMasterUrl()).as("two API servers").isNotEqualTo(coordinator.getMasterUrl());
    for (KubernetesClient c : List.of(coordinator, party)) {
      KubeApi.coreDnsConfigMap(c);
      KubeApi.installCrd(c);
      KubeApi.namespace(c, CONTROLLER_NS);
    }
    KubeApi.namespace(coordinator, SERVER_NS);
    for (String ns : List.of(PARTY_NS, TENANT_NS, TENANT_PODS_NS)) {
      KubeApi.namespace(party, ns);
    }
    coordinatorKubeconfig = Files.createTempFile("coordinator", ".kubeconfig");
    Files.writeString(coordinatorKubeconfig, kubeConfigYaml);

    authorities = new CertificateAuthorities(coordinator, CONTROLLER_NS, ObservedState.direct(coordinator, CONTROLLER_NS));
    Clock clock = Clock.systemUTC();
    endpoint = new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), new EnrollmentService(
        EnrollmentService.Federation.parse(SERVER_NS + "/" + DOMAIN), authorities, new EnrollmentStore(coordinator, CONTROLLER_NS), clock),
        new AttemptLimiter(100, Duration.ofMinutes(1), clock), clock);
    joins = new JoinController(party, CONTROLLER_NS, clock, Duration.ZERO).start();
    ControllerConfig config = ControllerConfig.defaults().withScope(WatchScope.of(PARTY_NS, TENANT_NS, TENANT_PODS_NS))
        .withControllerNamespace(CONTROLLER_NS).withIngressAddress("127.0.0.21").withResync(Duration.ofMinutes(10));
    partyController = new Controller(party, config, new ControllerMetrics(new PrometheusRegistry()));
    partyController.start();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {partyController, joins, endpoint, party, coordinator}) {
      if (c != null) {
        c.close();
      }
    }
    if (partyApi != null) {
      partyApi.stop();
    }
    if (coordinatorKubeconfig != null) {
      Files.deleteIfExists(coordinatorKubeconfig);
    }
  }

  static Pod partyPod() {
    return party.pods().inNamespace(PARTY_NS).withName(PARTY_JOB).get();
  }

  static Secret partySecret(String namespace, String name) {
    return party.secrets().inNamespace(namespace).withName(name).get();
  }

  static Volume tlsVolume(Pod pod) {
    return pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(PodModel.TLS_VOLUME)).findFirst().orElseThrow();
  }

  static String serial(Secret s) {
    return s.getMetadata().getAnnotations().get("flotilla.dev/serial");
  }

  @Test
  @DisplayName("the pod mounts flotilla-enrolled.fashion.a (the very bytes the enroller stored), not a <job>-tls of its own CA; its CA issued "
      + "the coordinator's aggregator; the key is in no object of the coordinator; a renewal updates the mounted Secret, the pod stays")
  void podMountsTheEnrolledIdentity() throws Exception {
    // what the two people do: the coordinator makes a token, organisation a writes it into a join Secret
    String token = token("a");
    party.secrets().inNamespace(CONTROLLER_NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("join-fashion").endMetadata().withType(JoinModel.TYPE)
        .addToStringData(JoinModel.TOKEN, token)
        .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + endpoint.port())
        .addToStringData(JoinModel.DOMAIN, DOMAIN)
        .addToStringData(JoinModel.JOB, JOB)
        .addToStringData(JoinModel.ORGANISATION, "a").build()).create();
    await("enrolled").atMost(WAIT).until(() -> partySecret(CONTROLLER_NS, ENROLLED) != null);
    KubeApi.createSample(party, "flotilla-fashion-mnist/party-a.yaml", PARTY_NS);
    await("the party's pod").atMost(WAIT).until(() -> partyPod() != null);

    Pod pod = partyPod();
    assertThat(tlsVolume(pod).getSecret().getSecretName()).isEqualTo(ENROLLED);
    assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getName() + " " + m.getMountPath() + " " + m.getSubPath())
            .isEqualTo(PodModel.TLS_VOLUME + " " + PodModel.TLS_MOUNT_PATH + " null"));
    assertThat(pod.getSpec().getContainers().get(0).getArgs())
        .contains("--cert=/etc/flotilla/tls/tls.crt", "--key=/etc/flotilla/tls/tls.key", "--ca=/etc/flotilla/tls/ca.crt");
    assertThat(partySecret(PARTY_NS, PARTY_JOB + "-tls")).as("no certificate of the party cluster's own CA").isNull();
    Secret source = partySecret(CONTROLLER_NS, ENROLLED);
    Secret copy = partySecret(PARTY_NS, ENROLLED);
    assertThat(copy.getData()).isEqualTo(source.getData());
    assertThat(copy.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo(PARTY_JOB));
    await("CertificatesReady").atMost(WAIT).until(() -> condition(StatusModel.CERTIFICATES_READY) != null
        && "Enrolled".equals(condition(StatusModel.CERTIFICATES_READY).getReason()));
    assertThat(condition(StatusModel.CERTIFICATES_READY).getMessage()).contains(ENROLLED).contains(serial(source));

    // the coordinator's aggregator is issued by the CA the party was enrolled by: each trusts the other
    IflearnerJobReconciler.Result server = new IflearnerJobReconciler(coordinator, ControllerConfig.defaults()
        .withScope(WatchScope.of(SERVER_NS)).withControllerNamespace(CONTROLLER_NS).withIngressAddress("127.0.0.20"), Clock.systemUTC())
        .reconcile(SERVER_NS, KubeApi.createSample(coordinator, "flotilla-fashion-mnist/server.yaml", SERVER_NS).getMetadata().getName());
    assertThat(server.failed()).as(server.summary()).isFalse();
    Secret serverTls = coordinator.secrets().inNamespace(SERVER_NS).withName("fashion-server-tls").get();
    assertThat(CertificateModel.decode(serverTls.getData().get("ca.crt"))).isEqualTo(CertificateModel.decode(copy.getData().get("ca.crt")));
    CertificateAuthority federationCa = authorities.ensure(SERVER_NS, DOMAIN).ca();
    IssuedCertificate mounted = JoinModel.identityOf(copy);
    mounted.certificate().verify(federationCa.rootCertificate().getPublicKey());
    CertificateModel.parse(CertificateModel.decode(serverTls.getData().get("tls.crt"))).get(0)
        .verify(mounted.caCertificate().getPublicKey());

    // renewal at two thirds of the lifetime, as the enroller does it: the copy follows, the pod is not replaced
    String podUid = pod.getMetadata().getUid();
    String hash = pod.getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
    PartyEnroller.Result renewed = new PartyEnroller(party, PartyEnroller::clientFor, new ManualClock(Instant.now().plus(Duration.ofDays(61))))
        .reconcile(CONTROLLER_NS, "join-fashion");
    assertThat(renewed.state()).as(renewed.message()).isEqualTo("Renewed");
    Secret renewedSource = partySecret(CONTROLLER_NS, ENROLLED);
    assertThat(serial(renewedSource)).isNotEqualTo(serial(source));
    await("the copy follows the renewal").atMost(WAIT).until(() -> serial(partySecret(PARTY_NS, ENROLLED)).equals(serial(renewedSource)));
    assertThat(partySecret(PARTY_NS, ENROLLED).getData()).isEqualTo(renewedSource.getData());
    Pod after = partyPod();
    assertThat(after.getMetadata().getUid()).as("the same pod: its mounted Secret changed in place").isEqualTo(podUid);
    assertThat(after.getMetadata().getAnnotations()).containsEntry(PodModel.TEMPLATE_HASH_ANNOTATION, hash);
    assertThat(tlsVolume(after).getSecret().getSecretName()).isEqualTo(ENROLLED);

    // no key travelled: neither the first nor the renewed key is in any Secret or ConfigMap of the coordinator
    String coordinatorHolds = PartyEnrollmentIT.everything(coordinator);
    List<String> partyKeys = new ArrayList<>();
    partyKeys.addAll(PartyEnrollmentIT.forms(Pem.encode(mounted.privateKey())));
    partyKeys.addAll(PartyEnrollmentIT.forms(Pem.encode(JoinModel.identityOf(renewedSource).privateKey())));
    for (String form : partyKeys) {
      assertThat(coordinatorHolds).as("a party key in the coordinator's API server").doesNotContain(form);
    }
    assertThat(coordinatorHolds).as("the scan sees keys: the aggregator's own is there").contains("PRIVATE KEY");
  }

  static final String PODS_JOB = "fashion-party-b";

  /** A one-use join token of the coordinator for {@code organisation}, made with the CLI as the coordinator's person does. */
  static String token(String organisation) {
    EnrollmentIT.Run made = EnrollmentIT.run(ControllerMain.commandLine(), "enroll", "token", "create", "--kubeconfig",
        coordinatorKubeconfig.toString(), "--controller-namespace", CONTROLLER_NS, "--federation", SERVER_NS + "/" + DOMAIN,
        "--job", JOB, "--organisation", organisation, "--ttl", "1h", "--uses", "1");
    assertThat(made.exit()).as(made.err()).isZero();
    return made.out().strip();
  }

  /** An enrollment endpoint of the federation that issues at most {@code perOrganisation} certificates to one organisation. */
  static EnrollmentServer boundedEndpoint(int perOrganisation) throws java.io.IOException {
    return boundedEndpoint(perOrganisation, Clock.systemUTC());
  }

  /** {@link #boundedEndpoint(int)} whose decisions read {@code serviceClock}. */
  static EnrollmentServer boundedEndpoint(int perOrganisation, Clock serviceClock) throws java.io.IOException {
    Clock clock = Clock.systemUTC();
    return new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), new EnrollmentService(
        EnrollmentService.Federation.parse(SERVER_NS + "/" + DOMAIN), authorities, new EnrollmentStore(coordinator, CONTROLLER_NS),
        serviceClock, perOrganisation), new AttemptLimiter(100, Duration.ofMinutes(1), clock), clock);
  }

  /** {@code organisation}'s own certificate, enrolled at {@code client}'s endpoint with a fresh token. */
  static IssuedCertificate enrolled(EnrollmentClient client, String organisation) throws Exception {
    dev.flotilla.certs.Identity identity = dev.flotilla.certs.Identity.party(DOMAIN, JOB, organisation);
    return client.enroll(dev.flotilla.certs.enroll.JoinToken.parse(token(organisation)), identity, csr(identity));
  }

  static EnrollmentClient clientOf(EnrollmentServer server) {
    return new EnrollmentClient(java.net.URI.create("https://127.0.0.1:" + server.port()), DOMAIN, Duration.ofSeconds(30));
  }

  /** A token of the coordinator for organisation {@code organisation}, written into its join Secret in the party cluster. */
  static void join(String organisation) {
    party.secrets().inNamespace(CONTROLLER_NS).resource(joinSecret(organisation).build()).create();
  }

  static io.fabric8.kubernetes.api.model.SecretBuilder joinSecret(String organisation) {
    return new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withName("join-fashion-" + organisation).endMetadata().withType(JoinModel.TYPE)
        .addToStringData(JoinModel.TOKEN, token(organisation))
        .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + endpoint.port())
        .addToStringData(JoinModel.DOMAIN, DOMAIN)
        .addToStringData(JoinModel.JOB, JOB)
        .addToStringData(JoinModel.ORGANISATION, organisation);
  }

  /** Party job {@code name} of organisation {@code organisation} in {@code namespace}: one pod, or {@code pods} of two virtual parties. */
  static void partyJob(String namespace, String name, String organisation, int pods) {
    IflearnerJob job = dev.flotilla.controller.model.Samples.load("flotilla-fashion-mnist/party-a.yaml", namespace);
    job.getMetadata().setName(name);
    job.getSpec().setHost("fashion." + organisation + ".party." + DOMAIN);
    if (pods > 1) {
      job.getSpec().setVirtualParties(2);
      job.getSpec().setVirtualPartyPods(pods);
      job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()
          .removeIf(a -> a.startsWith("--partition-index") || a.startsWith("--partition-count"));
    }
    party.resource(job).create();
  }

  static Condition certificatesReady(String namespace, String name) {
    IflearnerJob job = party.resources(IflearnerJob.class).inNamespace(namespace).withName(name).get();
    if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) {
      return null;
    }
    return job.getStatus().getConditions().stream().filter(c -> c.getType().equals(StatusModel.CERTIFICATES_READY))
        .findFirst().orElse(null);
  }

  static void awaitNamespaceRefused(String namespace, String name, String message) {
    await(namespace + "/" + name + " refused").atMost(WAIT).untilAsserted(() -> {
      Condition c = certificatesReady(namespace, name);
      assertThat(c).isNotNull();
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("EnrolledIdentityNamespaceRefused");
      assertThat(c.getMessage()).isEqualTo(message);
    });
  }

  @Test
  @DisplayName("the join Secret of organisation h lists namespaces hospital: h's job there mounts the enrolled identity; the same "
      + "job in namespace tenant and an N-pod job in tenant-pods get none (CertificatesReady False naming the namespace and "
      + "what the join allows, no copy, no certificate of the cluster's CA, no pod identity issued, no pod); listing tenant "
      + "instead gives tenant's job the identity and takes hospital's copy and pod away")
  void onlyTheListedNamespacesUseTheIdentity() {
    String enrolled = "flotilla-enrolled.fashion.h";
    party.secrets().inNamespace(CONTROLLER_NS).resource(joinSecret("h").addToStringData(JoinModel.NAMESPACES, PARTY_NS).build())
        .create();
    await("h enrolled").atMost(WAIT).until(() -> partySecret(CONTROLLER_NS, enrolled) != null);
    partyJob(PARTY_NS, "fashion-party-h", "h", 1);
    partyJob(TENANT_NS, "fashion-party-h", "h", 1);
    partyJob(TENANT_PODS_NS, "fashion-party-h", "h", 2);

    await("hospital's job mounts h's identity").atMost(WAIT).untilAsserted(() -> {
      assertThat(certificatesReady(PARTY_NS, "fashion-party-h")).extracting(Condition::getReason).isEqualTo("Enrolled");
      assertThat(party.pods().inNamespace(PARTY_NS).withName("fashion-party-h").get()).isNotNull();
    });
    assertThat(tlsVolume(party.pods().inNamespace(PARTY_NS).withName("fashion-party-h").get()).getSecret().getSecretName())
        .isEqualTo(enrolled);
    assertThat(partySecret(PARTY_NS, enrolled).getData()).isEqualTo(partySecret(CONTROLLER_NS, enrolled).getData());

    awaitNamespaceRefused(TENANT_NS, "fashion-party-h", "namespace tenant may not use organisation h's enrolled identity: join "
        + "Secret " + CONTROLLER_NS + "/join-fashion-h allows only hospital");
    awaitNamespaceRefused(TENANT_PODS_NS, "fashion-party-h", "namespace tenant-pods may not use organisation h's enrolled "
        + "identity: join Secret " + CONTROLLER_NS + "/join-fashion-h allows only hospital");
    for (String ns : List.of(TENANT_NS, TENANT_PODS_NS)) {
      assertThat(party.secrets().inNamespace(ns).list().getItems()).as("no Secret at all in " + ns).isEmpty();
      assertThat(party.pods().inNamespace(ns).list().getItems()).as("no pod in " + ns).isEmpty();
    }
    assertThat(partySecret(CONTROLLER_NS, enrolled + "-p0")).as("no pod identity asked for").isNull();
    assertThat(EnrollmentModel.issuedTo(coordinator.configMaps().inNamespace(CONTROLLER_NS)
        .withName(EnrollmentModel.enrolledName(DOMAIN)).get(), "h")).as("the coordinator issued h only its own").hasSize(1);

    // the operator moves the identity to tenant: the join Secret's change alone (no resync) decides again for both jobs
    Secret join = party.secrets().inNamespace(CONTROLLER_NS).withName("join-fashion-h").get();
    join.getData().put(JoinModel.NAMESPACES, CertificateModel.encode(TENANT_NS));
    party.secrets().inNamespace(CONTROLLER_NS).resource(join).update();
    await("tenant's job mounts h's identity").atMost(WAIT).untilAsserted(() -> {
      assertThat(certificatesReady(TENANT_NS, "fashion-party-h")).extracting(Condition::getReason).isEqualTo("Enrolled");
      assertThat(partySecret(TENANT_NS, enrolled)).isNotNull();
    });
    awaitNamespaceRefused(PARTY_NS, "fashion-party-h", "namespace hospital may not use organisation h's enrolled identity: join "
        + "Secret " + CONTROLLER_NS + "/join-fashion-h allows only tenant");
    assertThat(partySecret(PARTY_NS, enrolled)).as("hospital's copy deleted").isNull();
    assertThat(party.pods().inNamespace(PARTY_NS).withName("fashion-party-h").get()).as("and its pod, which held the files")
        .isNull();
    assertThat(partySecret(PARTY_NS, "fashion-party-h-tls")).as("nor replaced by a certificate of the cluster's CA").isNull();
  }

  @Test
  @DisplayName("an N-pod job of an enrolled organisation: each pod mounts flotilla-enrolled.fashion.b-p<i>, its own identity "
      + "issued by the federation's CA against the organisation's (key made in the party cluster, serial recorded under the "
      + "organisation); the coordinator refuses another organisation's pod host, a pod asking for another pod, a renewal "
      + "with a pod's certificate, and a host that is an enrolled organisation's name")
  void podsOfAnEnrolledOrganisationGetIdentitiesOfTheirOwn() throws Exception {
    join("b");
    await("b enrolled").atMost(WAIT).until(() -> partySecret(CONTROLLER_NS, "flotilla-enrolled.fashion.b") != null);
    IflearnerJob job = dev.flotilla.controller.model.Samples.load("flotilla-fashion-mnist/party-a.yaml", PARTY_NS);
    job.getMetadata().setName(PODS_JOB);
    job.getSpec().setHost("fashion.b.party." + DOMAIN);
    job.getSpec().setVirtualParties(2);
    job.getSpec().setVirtualPartyPods(2);
    job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()
        .removeIf(a -> a.startsWith("--partition-index") || a.startsWith("--partition-count"));
    party.resource(job).create();
    await("two pods").atMost(WAIT).until(() -> party.pods().inNamespace(PARTY_NS).withName(PODS_JOB + "-p1").get() != null);

    CertificateAuthority federationCa = authorities.ensure(SERVER_NS, DOMAIN).ca();
    IssuedCertificate organisation = JoinModel.identityOf(partySecret(CONTROLLER_NS, "flotilla-enrolled.fashion.b"));
    List<String> serials = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      String name = "flotilla-enrolled.fashion.b-p" + i;
      Pod pod = party.pods().inNamespace(PARTY_NS).withName(PODS_JOB + "-p" + i).get();
      assertThat(tlsVolume(pod).getSecret().getSecretName()).isEqualTo(name);
      Secret source = partySecret(CONTROLLER_NS, name);
      IssuedCertificate issued = JoinModel.identityOf(source);
      assertThat(dev.flotilla.certs.Identity.of(issued.certificate()).uri())
          .isEqualTo("spiffe://" + DOMAIN + "/job/fashion/party/b-p" + i + "/virtual/2");
      issued.certificate().verify(federationCa.rootCertificate().getPublicKey());
      assertThat(issued.privateKey()).isNotEqualTo(organisation.privateKey());
      assertThat(partySecret(PARTY_NS, name).getData()).as("the copy beside the job").isEqualTo(source.getData());
      assertThat(partySecret(PARTY_NS, name).getMetadata().getOwnerReferences()).singleElement()
          .satisfies(o -> assertThat(o.getName()).isEqualTo(PODS_JOB));
      assertThat(partySecret(PARTY_NS, PODS_JOB + "-p" + i + "-tls")).as("no certificate of this cluster's CA").isNull();
      serials.add(serial(source));
    }
    await("CertificatesReady").atMost(WAIT).untilAsserted(() -> {
      IflearnerJob j = party.resources(IflearnerJob.class).inNamespace(PARTY_NS).withName(PODS_JOB).get();
      assertThat(j.getStatus().getConditions()).anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo(StatusModel.CERTIFICATES_READY);
        assertThat(c.getReason()).isEqualTo("Enrolled");
        assertThat(c.getMessage()).startsWith("Secrets flotilla-enrolled.fashion.b-p0 .. flotilla-enrolled.fashion.b-p1 hold "
            + "spiffe://" + DOMAIN + "/job/fashion/party/b-p0/virtual/2 .. ").contains(serials.get(0), serials.get(1));
      });
    });
    // revoking organisation b revokes its pods: their serials are recorded under it
    var enrolled = coordinator.configMaps().inNamespace(CONTROLLER_NS).withName(EnrollmentModel.enrolledName(DOMAIN)).get();
    assertThat(EnrollmentModel.issuedTo(enrolled, "b").stream().map(dev.flotilla.certs.enroll.RevokedSerials::hex))
        .hasSize(3).containsAll(serials);

    // what the coordinator refuses, whoever asks
    EnrollmentClient coordinatorClient = new EnrollmentClient(java.net.URI.create("https://127.0.0.1:" + endpoint.port()),
        DOMAIN, Duration.ofSeconds(30));
    assertRefused(() -> coordinatorClient.issueHost(organisation, podHost("a-p0"), csr(podHost("a-p0"))),
        "may ask for the hosts b-p<i> of job fashion (with virtual parties), not spiffe://" + DOMAIN + "/job/fashion/party/a-p0/virtual/2");
    IssuedCertificate pod0 = JoinModel.identityOf(partySecret(CONTROLLER_NS, "flotilla-enrolled.fashion.b-p0"));
    assertRefused(() -> coordinatorClient.issueHost(pod0, podHost("b-p1"), csr(podHost("b-p1"))),
        "a party pod's identity is asked with the organisation's enrolled certificate, not with spiffe://" + DOMAIN
            + "/job/fashion/party/b-p0/virtual/2");
    assertRefused(() -> coordinatorClient.renew(pod0, csr(podHost("b-p0"))), "is a party pod's identity: ask /v1/host again");
    new EnrollmentStore(coordinator, CONTROLLER_NS).recordIssued(DOMAIN, "b-p7", new EnrollmentModel.Issued(
        java.math.BigInteger.TEN, Instant.now().plus(Duration.ofDays(1)), null), Instant.now(), 10);
    assertRefused(() -> coordinatorClient.issueHost(organisation, podHost("b-p7"), csr(podHost("b-p7"))),
        "b-p7 is an organisation enrolled in " + DOMAIN + " itself");
    // and the other direction: an organisation named like pod 0 of the enrolled b may not enroll; its token stays unspent
    dev.flotilla.certs.Identity podNamed = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "b-p0");
    dev.flotilla.certs.enroll.JoinToken join = dev.flotilla.certs.enroll.JoinToken.parse(token("b-p0"));
    assertRefused(() -> coordinatorClient.enroll(join, podNamed, csr(podNamed)),
        "b-p0 is the name of pod 0 of organisation b, enrolled in " + DOMAIN + "; enroll this organisation under another name");
    assertThat(EnrollmentModel.issuedTo(coordinator.configMaps().inNamespace(CONTROLLER_NS)
        .withName(EnrollmentModel.enrolledName(DOMAIN)).get(), "b-p0")).as("nothing issued to b-p0").isEmpty();
    // nor one named like a virtual party of b's pods; and a pod whose virtual parties would name an organisation is refused
    dev.flotilla.certs.Identity virtualNamed = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "b-p0-v1");
    assertRefused(() -> coordinatorClient.enroll(dev.flotilla.certs.enroll.JoinToken.parse(token("b-p0-v1")),
        virtualNamed, csr(virtualNamed)), "b-p0-v1 is the name of pod 0 of organisation b or of one of its virtual parties");
    new EnrollmentStore(coordinator, CONTROLLER_NS).recordIssued(DOMAIN, "b-p8-v1", new EnrollmentModel.Issued(
        java.math.BigInteger.TWO, Instant.now().plus(Duration.ofDays(1)), null), Instant.now(), 10);
    assertRefused(() -> coordinatorClient.issueHost(organisation, podHost("b-p8"), csr(podHost("b-p8"))),
        "b-p8-v1 is an organisation enrolled in " + DOMAIN + " itself, so it cannot also be a virtual party of a party pod of b");
  }

  @Test
  @DisplayName("POST /v1/host over HTTPS: an organisation holding --enroll-certificates-per-organisation unexpired certificates "
      + "is refused with 429 and the bound; a refused request (the bound, another organisation's host) records no serial; "
      + "a write drops the records of expired certificates")
  void podIdentitiesAreBoundedPerOrganisation() throws Exception {
    try (EnrollmentServer bounded = boundedEndpoint(3)) {
      EnrollmentClient client = clientOf(bounded);
      IssuedCertificate organisation = enrolled(client, "c");
      // a record of an expired certificate of c (as a 90-day-old pod's would be): dropped by the next write
      var record = coordinator.configMaps().inNamespace(CONTROLLER_NS).withName(EnrollmentModel.enrolledName(DOMAIN));
      var seeded = record.get();
      seeded.getData().merge("c", "dead " + Instant.now().minus(Duration.ofDays(1)) + " c-p9\n", String::concat);
      coordinator.configMaps().inNamespace(CONTROLLER_NS).resource(seeded).update();
      assertThat(EnrollmentModel.issuedTo(record.get(), "c")).hasSize(2);

      client.issueHost(organisation, podHost("c-p0"), csr(podHost("c-p0")));
      List<java.math.BigInteger> afterPod0 = EnrollmentModel.issuedTo(record.get(), "c");
      assertThat(afterPod0).as("the expired record is gone").hasSize(2).doesNotContain(new java.math.BigInteger("dead", 16));
      client.issueHost(organisation, podHost("c-p1"), csr(podHost("c-p1")));
      List<java.math.BigInteger> full = EnrollmentModel.issuedTo(record.get(), "c");
      assertThat(full).hasSize(3);
      assertThat(EnrollmentModel.issued(record.get(), "c")).extracting(EnrollmentModel.Issued::host)
          .containsExactly(null, "c-p0", "c-p1");

      EnrollmentException beyond = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> client.issueHost(organisation, podHost("c-p2"), csr(podHost("c-p2"))), EnrollmentException.class);
      assertThat(beyond.status()).isEqualTo(429);
      assertThat(beyond.getMessage()).contains("organisation c holds 3 unexpired certificates (its own and its party pods'), "
          + "the most the coordinator issues to one organisation (--enroll-certificates-per-organisation 3); the next frees at ");
      assertRefused(() -> client.issueHost(organisation, podHost("a-p2"), csr(podHost("a-p2"))),
          "may ask for the hosts c-p<i> of job fashion (with virtual parties), not spiffe://" + DOMAIN + "/job/fashion/party/a-p2");
      assertThat(EnrollmentModel.issuedTo(record.get(), "c")).as("no serial recorded for a refused request").isEqualTo(full);
      assertThat(EnrollmentModel.issuedTo(record.get(), "a-p2")).isEmpty();
    }
  }

  @Test
  @DisplayName("POST /v1/renew over HTTPS for an organisation holding --enroll-certificates-per-organisation certificates: its "
      + "certificate renews once and its record line says renewed-to:<new serial>; renewing it again is refused with 409, "
      + "renewing the renewal with 429 while the first is on record, and neither refusal records a serial")
  void anOrganisationAtItsBoundRenewsOnce() throws Exception {
    try (EnrollmentServer bounded = boundedEndpoint(2)) {
      EnrollmentClient client = clientOf(bounded);
      dev.flotilla.certs.Identity d = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "d");
      IssuedCertificate first = atItsBound(client, "d");
      var record = coordinator.configMaps().inNamespace(CONTROLLER_NS).withName(EnrollmentModel.enrolledName(DOMAIN));

      IssuedCertificate renewed = client.renew(first, csr(d));

      renewed.certificate().verify(authorities.ensure(SERVER_NS, DOMAIN).ca().rootCertificate().getPublicKey());
      assertThat(dev.flotilla.certs.Identity.of(renewed.certificate())).isEqualTo(d);
      String firstSerial = dev.flotilla.certs.enroll.RevokedSerials.hex(first.certificate().getSerialNumber());
      String renewedSerial = dev.flotilla.certs.enroll.RevokedSerials.hex(renewed.certificate().getSerialNumber());
      assertThat(record.get().getData().get("d").lines()).contains(firstSerial + " "
          + first.certificate().getNotAfter().toInstant() + " renewed-to:" + renewedSerial + " renewed-key:"
          + EnrollmentModel.keyDigest(renewed.certificate().getPublicKey()) + " key:"
          + EnrollmentModel.identityKeyDigest(d, first.certificate().getPublicKey()));
      List<EnrollmentModel.Issued> afterRenewal = EnrollmentModel.issued(record.get(), "d");
      assertThat(afterRenewal).extracting(i -> dev.flotilla.certs.enroll.RevokedSerials.hex(i.serial()))
          .as("one line beyond the bound").hasSize(3).contains(renewedSerial);

      EnrollmentException again = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> client.renew(first, csr(d)), EnrollmentException.class);
      assertThat(again.status()).isEqualTo(409);
      assertThat(again.getMessage()).contains("the certificate of serial " + firstSerial + " was renewed already, to serial "
          + renewedSerial + " for another key: renew with that certificate. organisation d holds 3 unexpired certificates (its "
          + "own and its party pods'), the most the coordinator issues to one organisation (--enroll-certificates-per-organisation "
          + "2), beyond which each certificate is renewed once; the next frees at ");
      EnrollmentException loop = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> client.renew(renewed, csr(d)), EnrollmentException.class);
      assertThat(loop.status()).isEqualTo(429);
      assertThat(loop.getMessage()).contains("the certificate of serial " + renewedSerial + " is the renewal of serial "
          + firstSerial + ", which stays on record until " + first.certificate().getNotAfter().toInstant() + ": renew after then");
      assertThat(EnrollmentModel.issued(record.get(), "d")).as("no serial recorded for a refused renewal").isEqualTo(afterRenewal);
    }
  }

  /** {@code organisation} enrolled at {@code client}'s endpoint with a bound of 2, and its pod 0's identity: at its bound. */
  static IssuedCertificate atItsBound(EnrollmentClient client, String organisation) throws Exception {
    IssuedCertificate own = enrolled(client, organisation);
    client.issueHost(own, podHost(organisation + "-p0"), csr(podHost(organisation + "-p0")));
    assertThat(EnrollmentModel.issuedTo(enrolledRecord(), organisation)).as(organisation + " at its bound").hasSize(2);
    return own;
  }

  static io.fabric8.kubernetes.api.model.ConfigMap enrolledRecord() {
    return coordinator.configMaps().inNamespace(CONTROLLER_NS).withName(EnrollmentModel.enrolledName(DOMAIN)).get();
  }

  /** The lines of {@code organisation}'s record that say renewed-to:. */
  static List<EnrollmentModel.Issued> successorLines(String organisation) {
    return EnrollmentModel.issued(enrolledRecord(), organisation).stream().filter(i -> i.renewedTo() != null).toList();
  }

  /** A new CSR of {@code identity} with the key of {@code kept}: what a party asks again after losing the answer. */
  static dev.flotilla.certs.CertificateSigningRequest sameKey(dev.flotilla.certs.Identity identity,
      dev.flotilla.certs.CertificateSigningRequest kept) {
    return dev.flotilla.certs.CertificateSigningRequest.create(identity, List.of("fashion.b.party." + DOMAIN), kept.keyPair());
  }

  @Test
  @DisplayName("POST /v1/renew at the bound whose answer was lost: asked again with the same key, the certificate of the "
      + "recorded serial and notAfter comes again (200) and the record is unchanged, one successor line; asked with another "
      + "key, 409 saying why, and nothing recorded")
  void aLostRenewalIsAskedAgainWithTheSameKey() throws Exception {
    try (EnrollmentServer bounded = boundedEndpoint(2)) {
      EnrollmentClient client = clientOf(bounded);
      dev.flotilla.certs.Identity e = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "e");
      IssuedCertificate first = atItsBound(client, "e");
      dev.flotilla.certs.CertificateSigningRequest pending = csr(e);

      // the party crashes with the answer in hand: it stored nothing, and holds only its first certificate and the key
      IssuedCertificate lost = client.renew(first, pending);
      List<EnrollmentModel.Issued> afterRenewal = EnrollmentModel.issued(enrolledRecord(), "e");

      IssuedCertificate again = client.renew(first, sameKey(e, pending));

      again.certificate().verify(authorities.ensure(SERVER_NS, DOMAIN).ca().rootCertificate().getPublicKey());
      assertThat(again.certificate().getSerialNumber()).isEqualTo(lost.certificate().getSerialNumber());
      assertThat(again.certificate().getNotAfter()).isEqualTo(lost.certificate().getNotAfter());
      assertThat(again.certificate().getPublicKey()).isEqualTo(pending.publicKey());
      assertThat(dev.flotilla.certs.Identity.of(again.certificate())).isEqualTo(e);
      assertThat(EnrollmentModel.issued(enrolledRecord(), "e")).as("the record does not grow").isEqualTo(afterRenewal);
      assertThat(successorLines("e")).singleElement().satisfies(line -> {
        assertThat(line.serial()).isEqualTo(first.certificate().getSerialNumber());
        assertThat(line.renewedTo()).isEqualTo(lost.certificate().getSerialNumber());
        assertThat(line.renewedKey()).isEqualTo(EnrollmentModel.keyDigest(pending.publicKey()));
      });

      EnrollmentException other = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> client.renew(first, csr(e)), EnrollmentException.class);
      assertThat(other.status()).isEqualTo(409);
      assertThat(other.getMessage()).contains("the certificate of serial "
          + dev.flotilla.certs.enroll.RevokedSerials.hex(first.certificate().getSerialNumber()) + " was renewed already, to "
          + "serial " + dev.flotilla.certs.enroll.RevokedSerials.hex(lost.certificate().getSerialNumber()) + " for another key: renew "
          + "with that certificate. organisation e holds 3 unexpired certificates");
      assertThat(EnrollmentModel.issued(enrolledRecord(), "e")).as("nothing recorded for the refusal").isEqualTo(afterRenewal);
    }
  }

  @Test
  @DisplayName("the party's controller at its organisation's bound loses a renewal's answer (the connection is cut after the "
      + "coordinator recorded it): its next pass asks again with the key it kept in flotilla-renewal.<job>.<organisation>, "
      + "stores the recorded certificate, and empties that Secret; the record keeps one successor line")
  void thePartyKeepsItsRenewalKeyUntilTheCertificateIsStored() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean();
    try (EnrollmentServer bounded = boundedEndpoint(2);
        TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", bounded.port()),
            () -> losing.get() && !successorLines("k").isEmpty())) {
      String identityName = "flotilla-enrolled.fashion.k";
      party.secrets().inNamespace(CONTROLLER_NS).resource(joinSecret("k")
          .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + relay.port()).build()).create();
      await("k enrolled").atMost(WAIT).until(() -> partySecret(CONTROLLER_NS, identityName) != null);
      IssuedCertificate first = JoinModel.identityOf(partySecret(CONTROLLER_NS, identityName));
      clientOf(bounded).issueHost(first, podHost("k-p0"), csr(podHost("k-p0")));
      PartyEnroller later = new PartyEnroller(party, PartyEnroller::clientFor, new ManualClock(Instant.now().plus(Duration.ofDays(61))));

      losing.set(true);
      PartyEnroller.Result cut = later.reconcile(CONTROLLER_NS, "join-fashion-k");

      assertThat(cut.state()).as(cut.message()).isEqualTo("Unreachable");
      assertThat(JoinModel.identityOf(partySecret(CONTROLLER_NS, identityName)).certificate()).as("nothing stored")
          .isEqualTo(first.certificate());
      java.security.KeyPair kept = JoinModel.pendingKey(partySecret(CONTROLLER_NS, "flotilla-renewal.fashion.k")).orElseThrow();
      assertThat(successorLines("k")).singleElement().satisfies(line -> {
        assertThat(line.serial()).isEqualTo(first.certificate().getSerialNumber());
        assertThat(line.renewedKey()).as("the coordinator certified the kept key").isEqualTo(EnrollmentModel.keyDigest(kept.getPublic()));
      });
      List<EnrollmentModel.Issued> recorded = EnrollmentModel.issued(enrolledRecord(), "k");

      losing.set(false);
      PartyEnroller.Result renewed = later.reconcile(CONTROLLER_NS, "join-fashion-k");

      assertThat(renewed.state()).as(renewed.message()).isEqualTo("Renewed");
      IssuedCertificate stored = JoinModel.identityOf(partySecret(CONTROLLER_NS, identityName));
      assertThat(stored.certificate().getSerialNumber()).isEqualTo(successorLines("k").get(0).renewedTo());
      assertThat(stored.certificate().getPublicKey()).isEqualTo(kept.getPublic());
      assertThat(partySecret(CONTROLLER_NS, "flotilla-renewal.fashion.k").getData()).as("the kept key removed").isNullOrEmpty();
      assertThat(EnrollmentModel.issued(enrolledRecord(), "k")).as("the record does not grow").isEqualTo(recorded);
    }
  }

  /** The lines of {@code organisation}'s record of pod host {@code host}. */
  static List<EnrollmentModel.Issued> hostLines(String organisation, String host) {
    return EnrollmentModel.issued(enrolledRecord(), organisation).stream().filter(i -> host.equals(i.host())).toList();
  }

  @Test
  @DisplayName("POST /v1/host at the bound whose answer was lost: asked again for the same host and key, the certificate of the "
      + "recorded serial and notAfter comes again (200) and the record is unchanged, one line of the host with key:<digest>; "
      + "asked with another key, a new certificate, refused with 429 at the bound as any, and nothing recorded")
  void aLostPodIdentityIsAskedAgainWithTheSameKey() throws Exception {
    try (EnrollmentServer bounded = boundedEndpoint(2)) {
      EnrollmentClient client = clientOf(bounded);
      IssuedCertificate own = enrolled(client, "q");
      dev.flotilla.certs.Identity q0 = podHost("q-p0");
      dev.flotilla.certs.CertificateSigningRequest pending = csr(q0);

      // the controller crashes with the answer in hand: it stored nothing, and holds only the key it asked for
      IssuedCertificate lost = client.issueHost(own, q0, pending);
      List<EnrollmentModel.Issued> atTheBound = EnrollmentModel.issued(enrolledRecord(), "q");
      assertThat(atTheBound).hasSize(2);

      IssuedCertificate again = client.issueHost(own, q0, sameKey(q0, pending));

      again.certificate().verify(authorities.ensure(SERVER_NS, DOMAIN).ca().rootCertificate().getPublicKey());
      assertThat(again.certificate().getSerialNumber()).isEqualTo(lost.certificate().getSerialNumber());
      assertThat(again.certificate().getNotAfter()).isEqualTo(lost.certificate().getNotAfter());
      assertThat(again.certificate().getPublicKey()).isEqualTo(pending.publicKey());
      assertThat(dev.flotilla.certs.Identity.of(again.certificate())).isEqualTo(q0);
      assertThat(EnrollmentModel.issued(enrolledRecord(), "q")).as("the record does not grow").isEqualTo(atTheBound);
      assertThat(hostLines("q", "q-p0")).singleElement().satisfies(line -> {
        assertThat(line.serial()).isEqualTo(lost.certificate().getSerialNumber());
        assertThat(line.identityKey()).isEqualTo(EnrollmentModel.identityKeyDigest(q0, pending.publicKey()));
      });

      EnrollmentException other = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> client.issueHost(own, q0, csr(q0)), EnrollmentException.class);
      assertThat(other.status()).isEqualTo(429);
      assertThat(other.getMessage()).contains("organisation q holds 2 unexpired certificates (its own and its party pods'), "
          + "the most the coordinator issues to one organisation (--enroll-certificates-per-organisation 2)");
      assertThat(EnrollmentModel.issued(enrolledRecord(), "q")).as("nothing recorded for the refusal").isEqualTo(atTheBound);
    }
  }

  @Test
  @DisplayName("the party's controller loses the answer of a pod's identity (the connection is cut after the coordinator "
      + "recorded it): its next pass asks again with the key it kept in flotilla-renewal.<job>.<organisation>-p<i>, stores the "
      + "recorded certificate and empties that Secret; at a bound of 3 the second pod still gets its identity, one line each")
  void theControllerKeepsAPodsKeyUntilItsIdentityIsStored() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean();
    try (EnrollmentServer bounded = boundedEndpoint(3);
        TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", bounded.port()),
            () -> losing.get() && !hostLines("r", "r-p0").isEmpty())) {
      party.secrets().inNamespace(CONTROLLER_NS).resource(joinSecret("r")
          .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + relay.port()).build()).create();
      await("r enrolled").atMost(WAIT).until(() -> partySecret(CONTROLLER_NS, "flotilla-enrolled.fashion.r") != null);
      // a two-pod job of r beside the identities (in the controller's namespace, which the running controller does not
      // watch): this pass is the only one that asks for its pods' identities
      IflearnerJob twoPods = dev.flotilla.controller.model.Samples.load("flotilla-fashion-mnist/party-a.yaml", CONTROLLER_NS);
      twoPods.getMetadata().setName("fashion-party-r");
      twoPods.getSpec().setHost("fashion.r.party." + DOMAIN);
      twoPods.getSpec().setVirtualParties(2);
      twoPods.getSpec().setVirtualPartyPods(2);
      dev.flotilla.controller.model.JobModel job = new dev.flotilla.controller.model.JobModel(twoPods);
      var identities = new dev.flotilla.controller.operator.EnrolledIdentities(party,
          new dev.flotilla.controller.operator.ChildApplier(party), CONTROLLER_NS, ObservedState.direct(party, CONTROLLER_NS),
          PartyEnroller::clientFor, Clock.systemUTC());

      losing.set(true);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> identities.mountPods(job))
          .isInstanceOf(dev.flotilla.controller.operator.EnrolledIdentities.PodIdentitiesUnavailable.class);

      assertThat(partySecret(CONTROLLER_NS, "flotilla-enrolled.fashion.r-p0")).as("nothing stored").isNull();
      java.security.KeyPair kept = JoinModel.pendingKey(partySecret(CONTROLLER_NS, "flotilla-renewal.fashion.r-p0")).orElseThrow();
      dev.flotilla.certs.Identity r0 = job.pods().get(0).identity();
      assertThat(hostLines("r", "r-p0")).singleElement().satisfies(line -> assertThat(line.identityKey())
          .as("the coordinator certified the kept key").isEqualTo(EnrollmentModel.identityKeyDigest(r0, kept.getPublic())));
      EnrollmentModel.Issued recorded = hostLines("r", "r-p0").get(0);

      losing.set(false);
      List<dev.flotilla.controller.operator.EnrolledIdentities.Mounted> mounted = identities.mountPods(job).orElseThrow();

      assertThat(mounted).extracting(dev.flotilla.controller.operator.EnrolledIdentities.Mounted::secretName)
          .containsExactly("flotilla-enrolled.fashion.r-p0", "flotilla-enrolled.fashion.r-p1");
      IssuedCertificate stored = JoinModel.identityOf(partySecret(CONTROLLER_NS, "flotilla-enrolled.fashion.r-p0"));
      assertThat(stored.certificate().getSerialNumber()).isEqualTo(recorded.serial());
      assertThat(stored.certificate().getPublicKey()).isEqualTo(kept.getPublic());
      for (int i = 0; i < 2; i++) {
        assertThat(partySecret(CONTROLLER_NS, "flotilla-renewal.fashion.r-p" + i).getData()).as("the kept key removed")
            .isNullOrEmpty();
      }
      assertThat(EnrollmentModel.issued(enrolledRecord(), "r")).extracting(EnrollmentModel.Issued::host)
          .as("one line each, the bound of 3 not exceeded").containsExactly(null, "r-p0", "r-p1");
      assertThat(hostLines("r", "r-p0")).containsExactly(recorded);
    }
  }

  @Test
  @DisplayName("a first enrollment whose answer was lost (the connection cut after the coordinator recorded it): the party's "
      + "next pass asks again with the spent token and the key it kept in flotilla-renewal.<job>.<organisation>, stores the "
      + "recorded certificate (same serial) and empties that Secret; the record keeps one line; another key with that token "
      + "is refused as used up")
  void aLostEnrollmentIsAskedAgainWithTheKeptKey() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean(true);
    try (TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", endpoint.port()),
        () -> losing.get() && !EnrollmentModel.issued(enrolledRecord(), "s").isEmpty())) {
      // in a namespace the running join controller does not watch: the passes below are the only ones
      KubeApi.namespace(party, RETRY_NS);
      Secret joinSecret = party.secrets().inNamespace(RETRY_NS).resource(joinSecret("s")
          .addToStringData(JoinModel.ENDPOINT, "https://127.0.0.1:" + relay.port()).build()).create();
      PartyEnroller enroller = new PartyEnroller(party, PartyEnroller::clientFor, Clock.systemUTC());
      dev.flotilla.certs.Identity s = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "s");

      PartyEnroller.Result cut = enroller.reconcile(RETRY_NS, "join-fashion-s");

      assertThat(cut.state()).as(cut.message()).isEqualTo("Unreachable");
      assertThat(partySecret(RETRY_NS, "flotilla-enrolled.fashion.s")).as("nothing stored").isNull();
      java.security.KeyPair kept = JoinModel.pendingKey(partySecret(RETRY_NS, "flotilla-renewal.fashion.s")).orElseThrow();
      List<EnrollmentModel.Issued> recorded = EnrollmentModel.issued(enrolledRecord(), "s");
      assertThat(recorded).singleElement().satisfies(line -> assertThat(line.identityKey())
          .as("the coordinator certified the kept key").isEqualTo(EnrollmentModel.identityKeyDigest(s, kept.getPublic())));

      losing.set(false);
      PartyEnroller.Result enrolled = enroller.reconcile(RETRY_NS, "join-fashion-s");

      assertThat(enrolled.state()).as(enrolled.message()).isEqualTo("Enrolled");
      IssuedCertificate stored = JoinModel.identityOf(partySecret(RETRY_NS, "flotilla-enrolled.fashion.s"));
      assertThat(stored.certificate().getSerialNumber()).isEqualTo(recorded.get(0).serial());
      assertThat(stored.certificate().getNotAfter().toInstant()).isEqualTo(recorded.get(0).notAfter());
      assertThat(stored.certificate().getPublicKey()).isEqualTo(kept.getPublic());
      assertThat(dev.flotilla.certs.Identity.of(stored.certificate())).isEqualTo(s);
      assertThat(partySecret(RETRY_NS, "flotilla-renewal.fashion.s").getData()).as("the kept key removed").isNullOrEmpty();
      assertThat(EnrollmentModel.issued(enrolledRecord(), "s")).as("the record does not grow").isEqualTo(recorded);

      dev.flotilla.certs.enroll.JoinToken spent = JoinModel.parse(joinSecret).token();
      EnrollmentException other = org.assertj.core.api.Assertions.catchThrowableOfType(
          () -> clientOf(endpoint).enroll(spent, s, dev.flotilla.certs.CertificateSigningRequest.create(s,
              List.of("fashion.s.party." + DOMAIN), dev.flotilla.certs.KeyType.EC_P256)), EnrollmentException.class);
      assertThat(other.status()).as(other.getMessage()).isEqualTo(403);
      assertThat(other.getMessage()).contains("is used up (1 of 1 uses)");
      assertThat(EnrollmentModel.issued(enrolledRecord(), "s")).as("nothing recorded for the refusal").isEqualTo(recorded);
    }
  }

  /**
   * The service's clock for two racing renewals: once armed, each request thread's second reading (the record's write,
   * after the first check and the signature) waits until the other thread got there too, so both passed the first check
   * on the record as it was before either wrote.
   */
  static final class BothPastTheFirstCheck extends Clock {
    private final java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
    private final java.util.Map<Thread, Integer> readings = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean armed;

    void arm() {
      armed = true;
    }

    @Override
    public Instant instant() {
      if (armed && readings.merge(Thread.currentThread(), 1, Integer::sum) == 2) {
        try {
          barrier.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException("the other renewal never reached its write", e);
        }
      }
      return Instant.now();
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** Two renewals of {@code current} at once, with {@code csrs}; each its certificate or its refusal. */
  static List<Object> racing(EnrollmentClient client, IssuedCertificate current, BothPastTheFirstCheck clock,
      List<dev.flotilla.certs.CertificateSigningRequest> csrs) throws Exception {
    clock.arm();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      List<java.util.concurrent.Future<Object>> answers = new ArrayList<>();
      for (var csr : csrs) {
        answers.add(pool.submit(() -> {
          try {
            return (Object) client.renew(current, csr);
          } catch (EnrollmentException refused) {
            return refused;
          }
        }));
      }
      List<Object> results = new ArrayList<>();
      for (var answer : answers) {
        results.add(answer.get(120, java.util.concurrent.TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("two renewals of one certificate at the bound at once, both past the first check before either writes: the "
      + "record ends with one successor line; for the same key both are answered with the certificate of that serial, for "
      + "two keys one is answered and the other refused with 409")
  void twoRenewalsAtTheBoundAtOnce() throws Exception {
    BothPastTheFirstCheck sameKeyClock = new BothPastTheFirstCheck();
    try (EnrollmentServer bounded = boundedEndpoint(2, sameKeyClock)) {
      EnrollmentClient client = clientOf(bounded);
      dev.flotilla.certs.Identity f = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "f");
      IssuedCertificate first = atItsBound(client, "f");
      dev.flotilla.certs.CertificateSigningRequest pending = csr(f);

      List<Object> answers = racing(client, first, sameKeyClock, List.of(pending, sameKey(f, pending)));

      assertThat(answers).allSatisfy(a -> assertThat(a).isInstanceOf(IssuedCertificate.class));
      assertThat(answers).extracting(a -> ((IssuedCertificate) a).certificate().getSerialNumber()).as("one serial for both")
          .containsOnly(successorLines("f").get(0).renewedTo());
      assertThat(successorLines("f")).hasSize(1);
      assertThat(EnrollmentModel.issuedTo(enrolledRecord(), "f")).as("one line beyond the bound").hasSize(3);
    }
    BothPastTheFirstCheck twoKeysClock = new BothPastTheFirstCheck();
    try (EnrollmentServer bounded = boundedEndpoint(2, twoKeysClock)) {
      EnrollmentClient client = clientOf(bounded);
      dev.flotilla.certs.Identity g = dev.flotilla.certs.Identity.party(DOMAIN, JOB, "g");
      IssuedCertificate first = atItsBound(client, "g");

      List<Object> answers = racing(client, first, twoKeysClock, List.of(csr(g), csr(g)));

      assertThat(answers).filteredOn(a -> a instanceof IssuedCertificate).singleElement().satisfies(a ->
          assertThat(((IssuedCertificate) a).certificate().getSerialNumber()).isEqualTo(successorLines("g").get(0).renewedTo()));
      assertThat(answers).filteredOn(a -> a instanceof EnrollmentException).singleElement().satisfies(a -> {
        assertThat(((EnrollmentException) a).status()).isEqualTo(409);
        assertThat(((EnrollmentException) a).getMessage()).contains("was renewed already, to serial "
            + dev.flotilla.certs.enroll.RevokedSerials.hex(successorLines("g").get(0).renewedTo()) + " for another key");
      });
      assertThat(successorLines("g")).hasSize(1);
      assertThat(EnrollmentModel.issuedTo(enrolledRecord(), "g")).as("one line beyond the bound").hasSize(3);
    }
  }

  static dev.flotilla.certs.Identity podHost(String host) {
    return dev.flotilla.certs.Identity.virtualPartyHost(DOMAIN, JOB, host, 2);
  }

  static dev.flotilla.certs.CertificateSigningRequest csr(dev.flotilla.certs.Identity identity) {
    return dev.flotilla.certs.CertificateSigningRequest.create(identity, List.of("fashion.b.party." + DOMAIN),
        dev.flotilla.certs.KeyType.EC_P256);
  }

  static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String reason) {
    EnrollmentException refused = org.assertj.core.api.Assertions.catchThrowableOfType(call, EnrollmentException.class);
    assertThat(refused).as("refused: " + reason).isNotNull();
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.getMessage()).contains(reason);
  }

  static Condition condition(String type) {
    IflearnerJob job = party.resources(IflearnerJob.class).inNamespace(PARTY_NS).withName(PARTY_JOB).get();
    if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) {
      return null;
    }
    return job.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }
}
