package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.flotilla.certs.Identity;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.api.PrivacySpec;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.Controller;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.ControllerMetrics;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.protocol.status.JobSummary;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.protocol.tls.ControllerIdentityInterceptor;
import dev.flotilla.protocol.tls.MutualTlsServers;
import dev.flotilla.protocol.tls.PeerIdentity;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.JobObserverGrpc;
import dev.flotilla.protocol.v1.ProgressReply;
import dev.flotilla.protocol.v1.ProgressRequest;
import dev.flotilla.testing.FreePorts;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live progress on a real kube-apiserver: the controller issues a Flotilla server job's certificate,
 * the test plays the kubelet (the pod Running at 127.0.0.1) and the aggregator (a real gRPC server
 * over mutual TLS on loopback with that certificate, the protocol's ControllerIdentityInterceptor
 * in front of JobObserver), and the job's status follows the rounds it reports.
 */
@DisplayName("live progress: the controller copies a running aggregator's progress into the job's status")
class LiveProgressIT extends OnKubeApiServer {

  static final String NS = "live";
  static final String CONTROLLER_NS = "flotilla-system";
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private KubernetesClient client;
  private Controller controller;
  private Server aggregator;

  @AfterEach
  void stop() throws InterruptedException {
    if (controller != null) {
      controller.close();
    }
    if (aggregator != null) {
      aggregator.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (client != null) {
      client.close();
    }
  }

  /** The CRD, the job's and the controller's namespaces, and a controller polling progress every 500 ms. */
  private void startController() {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    KubeApi.installCrd(client);
    KubeApi.namespace(client, NS);
    KubeApi.namespace(client, CONTROLLER_NS);
    ControllerConfig config = ControllerConfig.defaults().withScope(WatchScope.of(NS)).withControllerNamespace(CONTROLLER_NS)
        .withIngressAddress("172.31.164.52").withPodHostAliases(true);
    controller = new Controller(client, config, new ControllerMetrics(new PrometheusRegistry()), Duration.ofMillis(500));
    controller.start();
  }

  /** The fashion sample's server job, named {@code name}, listening on {@code port}. */
  private IflearnerJob createServerJob(String name, String host, int port) {
    return createServerJob(name, host, port, null);
  }

  /** The same with {@code privacy} as its spec.privacy (null: none). */
  private IflearnerJob createServerJob(String name, String host, int port, PrivacySpec privacy) {
    IflearnerJob job = Serialization.unmarshal(KubeApi.read(Samples.sample("flotilla-fashion-mnist/server.yaml")), IflearnerJob.class);
    job.getMetadata().setName(name);
    job.getMetadata().setNamespace(NS);
    job.getSpec().setHost(host);
    job.getSpec().setPort(port);
    job.getSpec().setPrivacy(privacy);
    return client.resource(job).create();
  }

  /** Plays the kubelet: the job's pod runs at 127.0.0.1. */
  private void podRunning(String pod) {
    await("pod " + pod).atMost(WAIT).until(() -> client.pods().inNamespace(NS).withName(pod).get() != null);
    client.pods().inNamespace(NS).withName(pod).editStatus(p -> {
      p.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP("127.0.0.1").withPodIPs()
          .addNewPodIP("127.0.0.1").build());
      return p;
    });
  }

  /** The job's TLS Secret as the files the aggregator reads. */
  private TlsFiles tlsOf(String secretName) throws Exception {
    await("Secret " + secretName).atMost(WAIT).until(() -> client.secrets().inNamespace(NS).withName(secretName).get() != null);
    Secret s = client.secrets().inNamespace(NS).withName(secretName).get();
    Path out = Files.createDirectories(dir.resolve(secretName));
    for (String key : List.of(CertificateModel.TLS_CRT, CertificateModel.TLS_KEY, CertificateModel.CA_CRT)) {
      Files.writeString(out.resolve(key), CertificateModel.decode(s.getData().get(key)));
    }
    return TlsFiles.inDirectory(out);
  }

  /** A real aggregator's observer endpoint: answers {@code answer}'s JSON (null: never) to the controllers it admits; records who asked. */
  private Server observer(TlsFiles tls, int port, AtomicReference<String> answer, AtomicInteger asked,
      ConcurrentLinkedQueue<String> callers) throws Exception {
    JobObserverGrpc.JobObserverImplBase service = new JobObserverGrpc.JobObserverImplBase() {
      @Override
      public void progress(ProgressRequest request, StreamObserver<ProgressReply> response) {
        asked.incrementAndGet();
        callers.add(PeerIdentity.current().uri());
        if (answer.get() == null) {
          return; // a silent aggregator: never answers, the caller's deadline ends the call
        }
        response.onNext(ProgressReply.newBuilder().setSummaryJson(answer.get()).build());
        response.onCompleted();
      }
    };
    return MutualTlsServers.forAddress(new InetSocketAddress("127.0.0.1", port), tls)
        .addService(ServerInterceptors.intercept(service, ControllerIdentityInterceptor.controllersOf(tls.identity())))
        .build().start();
  }

  private IflearnerJobStatus status(String job) {
    IflearnerJob j = client.resources(IflearnerJob.class).inNamespace(NS).withName(job).get();
    return j == null ? null : j.getStatus();
  }

  private static String summary(int round, Double accuracy, Double loss, Long lastRound) {
    return StatusJson.writeSummary(new JobSummary("fashion", round, 3, false, round == 0 ? 2 : 3, 3, accuracy, loss, null,
        lastRound, System.currentTimeMillis(), null, null));
  }

  @Test
  @DisplayName("rounds 0, 1, 2 of 3 reach status.round, accuracy, loss, parties and lastRoundTime while the pod runs; polls that "
      + "bring the same numbers write nothing (resourceVersion unchanged); the caller is the controller identity of the job's domain")
  void statusFollowsTheRounds() throws Exception {
    startController();

    int port = FreePorts.next();
    createServerJob("fashion-server", "fashion.server.fl.example.org", port);
    AtomicReference<String> answer = new AtomicReference<>(summary(0, null, null, null));
    AtomicInteger asked = new AtomicInteger();
    ConcurrentLinkedQueue<String> callers = new ConcurrentLinkedQueue<>();
    aggregator = observer(tlsOf("fashion-server-tls"), port, answer, asked, callers);
    podRunning("fashion-server");

    await("round 0 of 3, 2 of 3 parties").atMost(WAIT).untilAsserted(() -> {
      IflearnerJobStatus s = status("fashion-server");
      assertThat(s.getRound()).isZero();
      assertThat(s.getRounds()).isEqualTo(3);
      assertThat(s.getPartiesConnected()).isEqualTo(2);
      assertThat(s.getPartiesExpected()).isEqualTo(3);
      assertThat(s.getPhase()).isEqualTo("Running");
    });
    assertThat(callers).containsOnly("spiffe://fl.example.org/controller/flotilla-controller");

    long round1 = 1_796_400_000_000L;
    answer.set(summary(1, 0.62, 0.98, round1));
    await("round 1").atMost(WAIT).untilAsserted(() -> {
      IflearnerJobStatus s = status("fashion-server");
      assertThat(s.getRound()).isEqualTo(1);
      assertThat(s.getAccuracy()).isEqualTo(0.62);
      assertThat(s.getLoss()).isEqualTo(0.98);
      assertThat(s.getPartiesConnected()).isEqualTo(3);
      assertThat(s.getLastRoundTime()).isEqualTo("2026-12-04T16:00:00Z");
    });

    // the same numbers, made anew at every poll: no write
    String version = client.resources(IflearnerJob.class).inNamespace(NS).withName("fashion-server").get().getMetadata()
        .getResourceVersion();
    int before = asked.get();
    await("six more polls").atMost(WAIT).until(() -> asked.get() >= before + 6);
    assertThat(client.resources(IflearnerJob.class).inNamespace(NS).withName("fashion-server").get().getMetadata()
        .getResourceVersion()).as("no status write while the progress stands still").isEqualTo(version);

    answer.set(summary(2, 0.71, 0.80, round1 + 60_000));
    await("round 2").atMost(WAIT).untilAsserted(() -> {
      IflearnerJobStatus s = status("fashion-server");
      assertThat(s.getRound()).isEqualTo(2);
      assertThat(s.getAccuracy()).isEqualTo(0.71);
      assertThat(s.getLastRoundTime()).isEqualTo("2026-12-04T16:01:00Z");
    });
  }

  @Test
  @DisplayName("a job with spec.privacy: its aggregator gets the budget's flags (PrivacyAccepted True); the epsilon "
      + "spent it reports reaches status.epsilonSpent while it runs; when the budget ends the job, the pod's "
      + "termination summary makes it Succeeded with status.endReason, and PodReady names the reason")
  void privacyBudgetInStatus() throws Exception {
    startController();

    int port = FreePorts.next();
    createServerJob("dp-server", "dp.server.fl.example.org", port, new PrivacySpec(4.0, null, 0.5, 1.1));
    AtomicReference<String> answer = new AtomicReference<>(dpSummary(1, false, 1.25, null));
    aggregator = observer(tlsOf("dp-server-tls"), port, answer, new AtomicInteger(), new ConcurrentLinkedQueue<>());
    podRunning("dp-server");
    assertThat(client.pods().inNamespace(NS).withName("dp-server").get().getSpec().getContainers().get(0).getArgs())
        .containsSubsequence("--privacy-budget=4.0", "--dp-delta=1.0E-5", "--dp-clip-norm=0.5",
            "--dp-noise-multiplier=1.1", "--dp-sampling-rate=1.0");

    await("epsilon spent of round 1").atMost(WAIT).untilAsserted(() -> {
      IflearnerJobStatus s = status("dp-server");
      assertThat(s.getRound()).isEqualTo(1);
      assertThat(s.getEpsilonSpent()).isEqualTo(1.25);
      assertThat(s.getEndReason()).isNull();
      assertThat(condition(s, "PrivacyAccepted").getStatus()).isEqualTo("True");
    });

    String reason = "privacy budget exhausted: round 3 would take epsilon to 4.1, beyond --privacy-budget 4.0";
    String summary = dpSummary(2, true, 2.5, reason);
    answer.set(summary);
    client.pods().inNamespace(NS).withName("dp-server").editStatus(p -> {
      p.setStatus(new PodStatusBuilder().withPhase("Succeeded").withPodIP("127.0.0.1").addNewContainerStatus()
          .withName("server").withImage("localhost/flotilla/server:0.1.0-SNAPSHOT").withNewState().withNewTerminated()
          .withExitCode(0).withReason("Completed").withMessage(summary).endTerminated().endState().endContainerStatus()
          .build());
      return p;
    });
    await("the job ended by its budget").atMost(WAIT).untilAsserted(() -> {
      IflearnerJobStatus s = status("dp-server");
      assertThat(s.getPhase()).isEqualTo("Succeeded");
      assertThat(s.getRound()).isEqualTo(2);
      assertThat(s.getEpsilonSpent()).isEqualTo(2.5);
      assertThat(s.getEndReason()).isEqualTo(reason);
      assertThat(condition(s, "PodReady").getMessage())
          .isEqualTo("the aggregator in pod dp-server finished 2 of 3 rounds (" + reason + ")");
    });
  }

  private static Condition condition(IflearnerJobStatus status, String type) {
    return status.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst()
        .orElseThrow(() -> new AssertionError("no condition " + type + " in " + status.getConditions()));
  }

  /** A DP job's summary: rounds of 3, epsilon spent, and the reason its budget ended it (null while it runs). */
  private static String dpSummary(int round, boolean finished, double epsilon, String endReason) {
    return StatusJson.writeSummary(new JobSummary("fashion", round, 3, finished, 3, 3, 0.6, 1.0, null,
        1_796_400_000_000L + round, System.currentTimeMillis(), epsilon, endReason));
  }

  @Test
  @DisplayName("an aggregator answering 64 KiB is refused (gRPC's size limit), one answering garbage by the strict reader, a "
      + "silent one by the deadline, each asked again and again: their jobs get no round in status, while a good one beside them does")
  void hostileAggregatorsAreRefused() throws Exception {
    startController();

    int bigPort = FreePorts.next();
    int junkPort = FreePorts.next();
    int goodPort = FreePorts.next();
    int silentPort = FreePorts.next();
    createServerJob("big-server", "big.server.fl.example.org", bigPort);
    createServerJob("junk-server", "junk.server.fl.example.org", junkPort);
    createServerJob("good-server", "good.server.fl.example.org", goodPort);
    createServerJob("silent-server", "silent.server.fl.example.org", silentPort);
    AtomicInteger bigAsked = new AtomicInteger();
    AtomicInteger junkAsked = new AtomicInteger();
    AtomicInteger silentAsked = new AtomicInteger();
    Server big = observer(tlsOf("big-server-tls"), bigPort, new AtomicReference<>("x".repeat(64 * 1024)), bigAsked,
        new ConcurrentLinkedQueue<>());
    Server junk = observer(tlsOf("junk-server-tls"), junkPort, new AtomicReference<>("{\"job_id\":\"junk\",\"rounds_completed\":\"many\"}"),
        junkAsked, new ConcurrentLinkedQueue<>());
    Server silent = observer(tlsOf("silent-server-tls"), silentPort, new AtomicReference<>(null), silentAsked,
        new ConcurrentLinkedQueue<>());
    aggregator = observer(tlsOf("good-server-tls"), goodPort, new AtomicReference<>(summary(1, 0.5, 1.1, 1_796_400_000_000L)),
        new AtomicInteger(), new ConcurrentLinkedQueue<>());
    try {
      for (String job : List.of("big-server", "junk-server", "good-server", "silent-server")) {
        podRunning(job);
      }
      await("the good job's round").atMost(WAIT).untilAsserted(() -> assertThat(status("good-server").getRound()).isEqualTo(1));
      await("the hostile aggregators were asked a few times").atMost(WAIT)
          .until(() -> bigAsked.get() >= 3 && junkAsked.get() >= 3 && silentAsked.get() >= 3);
      for (String job : List.of("big-server", "junk-server", "silent-server")) {
        IflearnerJobStatus s = status(job);
        assertThat(s.getRound()).as(job).isNull();
        assertThat(s.getAccuracy()).as(job).isNull();
        assertThat(s.getPhase()).as(job).isEqualTo("Running");
      }
    } finally {
      big.shutdownNow();
      junk.shutdownNow();
      silent.shutdownNow();
    }
  }
}
