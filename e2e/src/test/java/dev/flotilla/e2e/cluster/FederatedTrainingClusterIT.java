package dev.flotilla.e2e.cluster;

import static dev.flotilla.e2e.cluster.ThreeOrganisations.COORDINATOR;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.DOMAIN;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.JOB;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.JOB_NS;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.REFRESH;
import static dev.flotilla.e2e.cluster.ThreeOrganisations.WAIT;
import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static dev.flotilla.testing.RealServer.NGINX;
import static dev.flotilla.testing.RealServer.SINGLE_NODE_CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Pem;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.model.EnrolledIdentityModel;
import dev.flotilla.controller.model.PartiesModel;
import dev.flotilla.controller.model.PeerModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.operator.steps.PartiesFileStep;
import dev.flotilla.server.metrics.ServerMetrics;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.RuntimeImage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18's acceptance: one job trained across the organisations' real clusters. The aggregator runs
 * in the coordinator's cluster, one party in each of three party organisations' clusters (secure aggregation
 * needs three), each party with the identity its organisation enrolled (its key made in its own cluster),
 * dialling the job's server host, which its pod resolves to the coordinator's address from the Federation,
 * through the coordinator's nginx by SNI to the aggregator's pod. Each party serves its peer endpoint through
 * its own organisation's nginx, and the others reach it there (their pods resolve its host to that nginx's
 * address from the Federation): SecAgg+'s shares go party to party across the clusters. The person creates
 * the enrollment tokens and the Federation (and the jobs, which name no party: the aggregator admits the Federation's
 * party members, listed by its controller); Fashion-MNIST (IID thirds, the built-in MLP,
 * 3 rounds of 1 local epoch, SecAgg+) reaches >= 0.80 on held-out data. Prints
 * the time from the tokens' creation to the first completed round, and the time for a change of the
 * coordinator's address to reach every party cluster ({@value #ADDRESS_EDITS} edits), and writes them for
 * {@code bench/federation-clusters.sh} ({@link BenchReport}).
 */
@RequiresRealServers({SINGLE_NODE_CLUSTER, NGINX, FASHION_MNIST})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("a job whose aggregator is in the coordinator's cluster and whose parties are in three other clusters trains "
    + "Fashion-MNIST under secure aggregation, the shares going party to party through the parties' own ingresses")
class FederatedTrainingClusterIT {

  /** Three party organisations, a cluster each: secure aggregation needs at least three parties. */
  static final List<String> PARTIES = List.of("hospital-a", "hospital-b", "hospital-c");

  static final String SERVER_JOB = JOB + "-server";
  static final String PARTY_JOB = JOB + "-party";
  static final String SERVER_HOST = JOB + ".server." + DOMAIN;
  static final int ROUNDS = 3;
  /**
   * The round's deadline: at load 38 two parties did not finish 2 epochs of 30 000 images within the default 5 minutes,
   * and a late round is retried from scratch.
   */
  static final String ROUND_TIMEOUT = "30m";
  static final int METRICS_PORT = 9090;
  static final Duration TRAINING = Duration.ofMinutes(40);
  /** Where the coordinator moves once the job is done: an address of no cluster (the records are what is checked). */
  static final String MOVED_ADDRESS = "10.220.0.98";
  /** Edits of the coordinator's address, each timed: there and back, and there again... (one figure is no distribution). */
  static final int ADDRESS_EDITS = 5;
  /** The aggregator's line per secure round: parties whose shares went out, shares party to party, shares relayed. */
  static final Pattern SHARES = Pattern.compile("shares of (\\d+) parties: (\\d+) party to party, (\\d+) by the aggregator's relay");

  ThreeOrganisations orgs;
  long tokensCreated;
  long enrolledMs;
  long jobsCreatedMs;
  long firstRoundMs;
  /** Round 1 itself, as the aggregator measured it (from its TrainRequests to the aggregated model): the bench's peer. */
  long round1Ms;
  long succeededMs;
  final BenchReport report = new BenchReport();

  @BeforeAll
  void threeOrganisations(@TempDir Path work) throws Exception {
    report.put("load.start", ThreeOrganisations.loadAverage());
    orgs = ThreeOrganisations.start(work, PARTIES, c -> c.importImage(RuntimeImage.checkoutTarball(
        COORDINATOR.equals(c.name()) ? "aggregator-server" : "party")));
  }

  @AfterAll
  void stop() {
    if (orgs != null) {
      orgs.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("after the tokens and the Federation, the jobs: each party's pod mounts its enrolled identity and resolves the "
      + "server host to the coordinator's address from the Federation, not its own cluster's")
  void enrollAndCreateTheJobs() throws Exception {
    tokensCreated = System.nanoTime();
    orgs.enroll();
    enrolledMs = sinceTokens();
    orgs.clients.get(COORDINATOR).resource(serverJob()).create();
    for (String party : PARTIES) {
      orgs.clients.get(party).resource(partyJob(party)).create();
    }
    jobsCreatedMs = sinceTokens();

    String coordinatorAddress = orgs.clusters.get(COORDINATOR).address();
    await("the three pods Running").atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() ->
        "Running".equals(phase(pod(COORDINATOR, SERVER_JOB)))
            && PARTIES.stream().allMatch(p -> "Running".equals(phase(pod(p, PARTY_JOB)))));
    for (String party : PARTIES) {
      Pod pod = pod(party, PARTY_JOB);
      List<HostAlias> aliases = pod.getSpec().getHostAliases();
      assertThat(aliases).as(party + " hostAliases").anySatisfy(a -> {
        assertThat(a.getIp()).isEqualTo(coordinatorAddress);
        assertThat(a.getHostnames()).containsExactly(SERVER_HOST);
      });
      assertThat(aliases).as(party + ": its own host at its own cluster").anySatisfy(a -> {
        assertThat(a.getIp()).isEqualTo(orgs.ingressAddress(party));
        assertThat(a.getHostnames()).containsExactly(partyHost(party));
      });
      for (String other : orgs.otherParties(party)) {
        assertThat(aliases).as(party + ": " + other + "'s host at its organisation's nginx, from the Federation").anySatisfy(a -> {
          assertThat(a.getIp()).isEqualTo(orgs.ingressAddress(other));
          assertThat(a.getHostnames()).containsExactly(partyHost(other));
        });
      }
      assertThat(pod.getSpec().getVolumes()).as(party + ": the enrolled identity").anySatisfy(v -> {
        assertThat(v.getSecret()).isNotNull();
        assertThat(v.getSecret().getSecretName()).startsWith("flotilla-enrolled.");
      });
    }
    // nobody listed the parties: the coordinator's controller wrote the Federation's party members into the aggregator's
    // parties file, and the aggregator reads only that (without any list it would admit any party identity of the job)
    assertThat(pod(COORDINATOR, SERVER_JOB).getSpec().getContainers().get(0).getArgs()).as("the aggregator's arguments")
        .contains("--allow-party-file=" + PartiesModel.FILE).noneMatch(a -> a.startsWith("--allow-party="));
    await("the aggregator's parties file lists the Federation's party members").atMost(WAIT).untilAsserted(() -> {
      ConfigMap file = orgs.clients.get(COORDINATOR).configMaps().inNamespace(JOB_NS).withName(SERVER_JOB + "-parties").get();
      assertThat(file).as(SERVER_JOB + "-parties").isNotNull();
      assertThat(file.getData().get(PartiesModel.KEY).lines().toList()).isEqualTo(PARTIES);
      assertThat(job().getStatus().getConditions()).as("the server job's conditions").anySatisfy(c -> {
        assertThat(c.getType()).isEqualTo(StatusModel.PARTIES_FILE_READY);
        assertThat(c.getReason()).isEqualTo(PartiesFileStep.APPLIED);
        assertThat(c.getMessage()).contains("0 parties of the namespace's jobs and 3 parties of Federation "
            + ThreeOrganisations.NS + "/" + ThreeOrganisations.FEDERATION);
      });
    });
    await("the coordinator's nginx routes the server host to the aggregator's pod").atMost(WAIT)
        .until(() -> (pod(COORDINATOR, SERVER_JOB).getStatus().getPodIP() + ":8443")
            .equals(orgs.coordinatorIngress().routes().get(SERVER_HOST)));
  }

  @Test
  @Order(2)
  @DisplayName("each party's host resolves, in the coordinator's and the other parties' CoreDNS, to its own organisation's "
      + "nginx, which routes it by SNI to the party pod's peer endpoint: a TLS handshake through it, with another party's "
      + "enrolled identity, completes with the party's certificate")
  void eachPartyServesItsPeerEndpointThroughItsOwnIngress() throws Exception {
    X509Certificate ca = Pem.parseCertificates(orgs.caPem, "the coordinator's CA").get(0);
    for (String party : PARTIES) {
      String host = partyHost(party);
      String ingress = orgs.ingressAddress(party);
      for (String other : orgs.names()) {
        if (!other.equals(party)) {
          await(host + " in " + other + "'s CoreDNS").atMost(WAIT).untilAsserted(() ->
              assertThat(orgs.resolve(other, host)).as(host + " in " + other + "'s CoreDNS").containsExactly(ingress));
        }
      }
      await(party + "'s nginx routes " + host + " to its pod's peer endpoint").atMost(WAIT).until(() ->
          (pod(party, PARTY_JOB).getStatus().getPodIP() + ":" + PeerModel.DEFAULT_PORT)
              .equals(orgs.ingresses.get(party).routes().get(host)));
      assertThat(pod(party, PARTY_JOB).getSpec().getContainers().get(0).getArgs()).as(party + "'s peer endpoint")
          .contains("--peer-port=" + PeerModel.DEFAULT_PORT, "--peer-address=" + host + ":443");

      String dialer = PARTIES.get((PARTIES.indexOf(party) + 1) % PARTIES.size());
      Secret identity = orgs.clients.get(dialer).secrets().inNamespace(ThreeOrganisations.NS)
          .withName(EnrolledIdentityModel.PREFIX + JOB + "." + dialer).get();
      AtomicReference<X509Certificate[]> chain = new AtomicReference<>();
      await(dialer + " -> " + host + " through " + ingress + ":443").atMost(WAIT).pollInterval(Duration.ofSeconds(2))
          .ignoreExceptions().untilAsserted(() -> chain.set(PeerHandshake.serverChain(ingress, 443, host, identity)));
      X509Certificate leaf = chain.get()[0];
      assertThatCode(() -> leaf.verify(ca.getPublicKey())).as(host + "'s certificate, signed by the coordinator's CA")
          .doesNotThrowAnyException();
      assertThat(subjectAlternativeNames(leaf)).as(host + "'s certificate")
          .contains(host, "spiffe://" + DOMAIN + "/job/" + JOB + "/party/" + party);
    }
    // the handshakes went through each party organisation's own nginx (a session is logged once it ended)
    for (String party : PARTIES) {
      await(party + "'s nginx logged the session").atMost(Duration.ofMinutes(1)).until(() ->
          orgs.ingresses.get(party).streamAccessLog().contains("sni=\"" + partyHost(party) + "\""));
    }
  }

  @Test
  @Order(3)
  @DisplayName("the first round completes with every party, through the coordinator's nginx by SNI")
  void firstRound() {
    await("round 1 completed").atMost(TRAINING).pollInterval(Duration.ofSeconds(1))
        .until(() -> roundsCompleted().orElse(0) >= 1);
    firstRoundMs = sinceTokens();
    Pod aggregator = pod(COORDINATOR, SERVER_JOB);
    round1Ms = Math.round(1000 * PrometheusScrape.sum(aggregator.getStatus().getPodIP(), METRICS_PORT,
        ServerMetrics.ROUND_DURATION + "_sum").orElseThrow());
    await("status: round 1 of " + ROUNDS + ", every party expected").atMost(Duration.ofMinutes(2)).untilAsserted(() -> {
      IflearnerJob server = job();
      assertThat(server.getStatus().getRound()).as("status.round").isNotNull().isGreaterThanOrEqualTo(1);
      assertThat(server.getStatus().getRounds()).isEqualTo(ROUNDS);
      assertThat(server.getStatus().getPartiesExpected()).isEqualTo(PARTIES.size());
    });
  }

  @Test
  @Order(4)
  @DisplayName("the job Succeeds with all rounds and a final accuracy on held-out data >= 0.80 in the server job's status")
  void trainsToTheTarget() {
    await("the server job Succeeded").atMost(TRAINING).pollInterval(Duration.ofSeconds(1))
        .until(() -> job() != null && job().getStatus() != null && "Succeeded".equals(job().getStatus().getPhase()));
    succeededMs = sinceTokens();
    IflearnerJob server = job();
    assertThat(server.getStatus().getRound()).as("rounds done").isEqualTo(ROUNDS);
    assertThat(server.getStatus().getFinalAccuracy()).as("final accuracy").isGreaterThanOrEqualTo(0.80);
    for (String party : PARTIES) {
      await(party + " Succeeded").atMost(WAIT).until(() -> {
        IflearnerJob j = orgs.clients.get(party).resources(IflearnerJob.class).inNamespace(JOB_NS).withName(PARTY_JOB).get();
        return j.getStatus() != null && "Succeeded".equals(j.getStatus().getPhase());
      });
    }
    // nginx logs a passed-through session once it ended: now the parties' are there, from the party clusters' pods
    String log = orgs.coordinatorIngress().streamAccessLog();
    assertThat(log.lines().filter(l -> l.contains("sni=\"" + SERVER_HOST + "\"") && !l.contains(" received=0 ")))
        .as("sessions to %s through the coordinator's nginx:\n%s", SERVER_HOST, log).isNotEmpty();
  }

  @Test
  @Order(5)
  @DisplayName("under secure aggregation every round's shares went party to party, none by the aggregator's relay, through "
      + "each party organisation's own nginx")
  void sharesWentPartyToParty() {
    String serverLog = orgs.clients.get(COORDINATOR).pods().inNamespace(JOB_NS).withName(SERVER_JOB).getLog();
    assertThat(serverLog).as("the aggregator's allow-list, from its parties file only")
        .contains("enrollment by allow-list (--allow-party-file " + PartiesModel.FILE + ")").doesNotContain("enrollment is open");
    List<String> shareLines = serverLog.lines().filter(l -> SHARES.matcher(l).find()).toList();
    assertThat(shareLines).as("the aggregator's share lines").hasSizeGreaterThanOrEqualTo(ROUNDS).allSatisfy(line -> {
      Matcher m = SHARES.matcher(line);
      assertThat(m.find()).isTrue();
      assertThat(Integer.parseInt(m.group(1))).as(line).isEqualTo(PARTIES.size());
      assertThat(Integer.parseInt(m.group(2))).as(line).isPositive();
      assertThat(Integer.parseInt(m.group(3))).as(line).isZero();
    });
    for (String party : PARTIES) {
      String log = orgs.ingresses.get(party).streamAccessLog();
      assertThat(log.lines().filter(l -> l.contains("sni=\"" + partyHost(party) + "\"") && !l.contains(" received=0 ")))
          .as("peer sessions to %s through %s's nginx:\n%s", partyHost(party), party, log).isNotEmpty();
    }
    shareLines.forEach(System.out::println);
  }

  @Test
  @Order(6)
  @DisplayName("each edit of the coordinator's address in its Federation reaches every party cluster's DNS")
  void addressChangeReachesBothParties() {
    String coordinatorAddress = orgs.clusters.get(COORDINATOR).address();
    await("routes in every party cluster").atMost(WAIT).untilAsserted(() -> {
      for (String party : PARTIES) {
        assertThat(orgs.records(party)).as(party).isEqualTo(orgs.expectedRecords(coordinatorAddress, party));
      }
    });
    List<Long> followMs = new ArrayList<>();
    for (int edit = 1; edit <= ADDRESS_EDITS; edit++) {
      String address = edit % 2 == 1 ? MOVED_ADDRESS : coordinatorAddress;
      long start = System.nanoTime();
      orgs.moveCoordinator(address);
      await("every party cluster follows edit " + edit + " to " + address).atMost(WAIT).pollInterval(Duration.ofMillis(100))
          .untilAsserted(() -> {
            for (String party : PARTIES) {
              assertThat(orgs.records(party)).as(party).isEqualTo(orgs.expectedRecords(address, party));
            }
          });
      followMs.add((System.nanoTime() - start) / 1_000_000);
    }
    System.out.printf(Locale.ROOT, "federated training across four clusters (%d rounds of 1 epoch, %d parties, Fashion-MNIST IID thirds, SecAgg+, "
        + "MLP): from the tokens' creation, every party enrolled %d ms, jobs created %d ms, first round completed %d ms "
        + "(round 1 itself %d ms), Succeeded %d ms (final accuracy %.4f); the coordinator's address changes reached every "
        + "party cluster's CoreDNS in %s ms (refresh %d ms); load average %s%n", ROUNDS, PARTIES.size(), enrolledMs,
        jobsCreatedMs, firstRoundMs, round1Ms, succeededMs, job().getStatus().getFinalAccuracy(), followMs, REFRESH.toMillis(),
        ThreeOrganisations.loadAverage());
    report.put("parties", PARTIES.size()).put("rounds", ROUNDS).put("enrolled.ms", enrolledMs).put("jobs.created.ms", jobsCreatedMs)
        .put("first.round.ms", firstRoundMs).put("round1.ms", round1Ms).put("succeeded.ms", succeededMs)
        .put("final.accuracy", job().getStatus().getFinalAccuracy()).put("refresh.ms", REFRESH.toMillis())
        .put("route.change.ms", String.join(",", followMs.stream().map(String::valueOf).toList()))
        .put("load.end", ThreeOrganisations.loadAverage()).write();
  }

  // ---------------------------------------------------------------- the jobs, from the Fashion-MNIST sample

  /**
   * The sample's aggregator as job {@value ThreeOrganisations#JOB}, SecAgg+ on. It names no party: the coordinator's
   * controller admits the Federation's party members (its parties file, {@code --allow-party-file}).
   */
  static IflearnerJob serverJob() throws IOException {
    IflearnerJob job = sample("server.yaml");
    job.getMetadata().setName(SERVER_JOB);
    job.getSpec().setHost(SERVER_HOST);
    List<String> args = new ArrayList<>(List.of("--port=8443", "--cert=/etc/flotilla/tls/tls.crt",
        "--key=/etc/flotilla/tls/tls.key", "--ca=/etc/flotilla/tls/ca.crt", "--job-id=" + JOB, "--rounds=" + ROUNDS,
        "--local-epochs=1", "--round-timeout=" + ROUND_TIMEOUT, "--min-parties=" + PARTIES.size(), "--expected-parties=" + PARTIES.size(), "--model=mlp",
        "--metrics-port=" + METRICS_PORT, "--state-dir=/var/lib/flotilla/state", "--secure-aggregation"));
    job.getSpec().getTemplate().getSpec().getContainers().get(0).setArgs(args);
    return job;
  }

  /**
   * The sample's party as the party organisation's party of job {@value ThreeOrganisations#JOB}: one IID half each,
   * serving its peer endpoint ({@code spec.peer}) at its host through its organisation's nginx.
   */
  static IflearnerJob partyJob(String party) throws IOException {
    IflearnerJob job = sample("party-a.yaml");
    job.getMetadata().setName(PARTY_JOB);
    job.getSpec().setHost(partyHost(party));
    job.getSpec().setPeer(new PeerSpec());
    job.getSpec().getTemplate().getSpec().getContainers().get(0).setArgs(List.of("--server=" + SERVER_HOST + ":443",
        "--server-name=" + SERVER_HOST, "--cert=/etc/flotilla/tls/tls.crt", "--key=/etc/flotilla/tls/tls.key",
        "--ca=/etc/flotilla/tls/ca.crt", "--data=/usr/share/datasets/fashion-mnist", "--partition=iid",
        "--partition-index=" + PARTIES.indexOf(party), "--partition-count=" + PARTIES.size(), "--model=mlp"));
    return job;
  }

  static IflearnerJob sample(String file) throws IOException {
    IflearnerJob job = Serialization.unmarshal(Files.readString(FlotillaOnNode.repoRoot()
        .resolve("config/samples/flotilla-fashion-mnist").resolve(file)), IflearnerJob.class);
    job.getMetadata().setNamespace(JOB_NS);
    return job;
  }

  // ---------------------------------------------------------------- helpers

  static String partyHost(String party) {
    return JOB + "." + party + ".party." + DOMAIN;
  }

  static List<String> subjectAlternativeNames(X509Certificate certificate) throws CertificateParsingException {
    List<String> names = new ArrayList<>();
    if (certificate.getSubjectAlternativeNames() != null) {
      certificate.getSubjectAlternativeNames().forEach(n -> names.add(String.valueOf(n.get(1))));
    }
    return names;
  }

  long sinceTokens() {
    return (System.nanoTime() - tokensCreated) / 1_000_000;
  }

  Pod pod(String organisation, String job) {
    return orgs.clients.get(organisation).pods().inNamespace(JOB_NS).withName(job).get();
  }

  IflearnerJob job() {
    KubernetesClient coordinator = orgs.clients.get(COORDINATOR);
    return coordinator.resources(IflearnerJob.class).inNamespace(JOB_NS).withName(SERVER_JOB).get();
  }

  static String phase(Pod pod) {
    return pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
  }

  /** The aggregator's own count of completed rounds, scraped from its metrics port. */
  OptionalDouble roundsCompleted() {
    Pod server = pod(COORDINATOR, SERVER_JOB);
    if (server == null || server.getStatus().getPodIP() == null) {
      return OptionalDouble.empty();
    }
    return PrometheusScrape.sum(server.getStatus().getPodIP(), METRICS_PORT, ServerMetrics.ROUNDS_COMPLETED);
  }
}
