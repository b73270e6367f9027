package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("CoreDnsUpdater against a real kube-apiserver")
class CoreDnsUpdaterIT extends OnKubeApiServer {

  private static final String NAMESPACE = "kube-system";
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final DnsRecord SERVER = DnsRecord.of("*.server.example.org", "10.0.0.1");
  private static final DnsRecord PARTY_A = DnsRecord.of("*.a.party.example.org", "10.0.0.2");

  private static KubernetesClient client;
  private CoreDnsConfigMapRef ref;

  @BeforeAll
  static void connect() {
    client = newClient();
    await("namespace kube-system").atMost(Duration.ofSeconds(60))
        .until(() -> client.namespaces().withName(NAMESPACE).get() != null);
  }

  @AfterAll
  static void disconnect() {
    if (client != null) {
      client.close();
    }
  }

  @BeforeEach
  void createConfigMap() {
    ref = new CoreDnsConfigMapRef(NAMESPACE, "coredns-" + NAMES.incrementAndGet(), "Corefile");
    client.configMaps().inNamespace(NAMESPACE).resource(new ConfigMapBuilder()
            .withNewMetadata().withName(ref.name()).withNamespace(NAMESPACE).endMetadata()
            .addToData("Corefile", Corefiles.read(Corefiles.KUBEADM))
            .build())
        .create();
  }

  private static KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
  }

  private CoreDnsUpdater updater(KubernetesClient c) {
    return new CoreDnsUpdater(c, ref, new CorefileEditor(), CoreDnsUpdater.DEFAULT_MAX_ATTEMPTS);
  }

  private ConfigMap configMap() {
    return client.configMaps().inNamespace(NAMESPACE).withName(ref.name()).get();
  }

  private String corefile() {
    return configMap().getData().get("Corefile");
  }

  /** A person's edit with kubectl edit: read, change the text, write back under the read resourceVersion. */
  private void personEdits(String from, String to) {
    ConfigMap cm = configMap();
    String text = cm.getData().get("Corefile");
    assertThat(text).contains(from);
    cm.getData().put("Corefile", text.replace(from, to));
    client.configMaps().inNamespace(NAMESPACE).resource(cm).lockResourceVersion(cm.getMetadata().getResourceVersion()).update();
  }

  private static SortedSet<DnsRecord> set(DnsRecord... records) {
    return new TreeSet<>(List.of(records));
  }

  @Test
  @DisplayName("a writer whose write conflicts with another writer's reads again, and both records survive")
  void forcedConflictKeepsBothWriters() {
    try (KubernetesClient first = newClient(); KubernetesClient second = newClient()) {
      CoreDnsUpdater writerA = updater(first);
      CoreDnsUpdater writerB = updater(second);
      List<UpdateResult> bResults = new ArrayList<>();
      writerA.beforeWrite(attempt -> {
        if (attempt == 1) {
          bResults.add(writerB.replaceRecords("job-b", List.of(PARTY_A))); // lands between A's read and A's write
        }
      });

      UpdateResult a = writerA.replaceRecords("job-a", List.of(SERVER));

      assertThat(bResults).singleElement().satisfies(b -> assertThat(b.changed()).isTrue());
      assertThat(a.attempts()).isEqualTo(2);
      assertThat(a.changed()).isTrue();
      assertThat(writerA.currentRecords()).isEqualTo(Map.of("job-a", set(SERVER), "job-b", set(PARTY_A)));
      assertThat(a.resourceVersion()).isEqualTo(configMap().getMetadata().getResourceVersion());
    }
  }

  @Test
  @DisplayName("a writer that loses every race gives up after its attempts, leaving the winner's records in place")
  void conflictsExhausted() {
    CoreDnsUpdater loser = new CoreDnsUpdater(client, ref, new CorefileEditor(), 3);
    CoreDnsUpdater winner = updater(client);
    loser.beforeWrite(attempt -> winner.replaceRecords("job-b", List.of(DnsRecord.of("*.b.party.example.org", "10.0.1." + attempt))));

    assertThatThrownBy(() -> loser.replaceRecords("job-a", List.of(SERVER)))
        .isInstanceOf(CoreDnsUpdateException.class)
        .hasMessageContaining("after 3 conflicting concurrent writes")
        .extracting(e -> ((CoreDnsUpdateException) e).reason()).isEqualTo(CoreDnsUpdateException.Reason.CONFLICTS_EXHAUSTED);
    assertThat(winner.currentRecords()).isEqualTo(Map.of("job-b", set(DnsRecord.of("*.b.party.example.org", "10.0.1.3"))));
  }

  @Test
  @DisplayName("four writers racing on the ConfigMap, five writes each, all end with their own last records")
  void racingWritersAllSurvive() throws Exception {
    int writers = 4;
    int rounds = 5;
    CyclicBarrier start = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<Integer>> attempts = new ArrayList<>();
    try {
      for (int w = 0; w < writers; w++) {
        int writer = w;
        attempts.add(pool.submit(() -> {
          try (KubernetesClient own = newClient()) {
            CoreDnsUpdater updater = updater(own);
            int total = 0;
            start.await(30, TimeUnit.SECONDS);
            for (int round = 1; round <= rounds; round++) {
              total += updater.replaceRecords("job-" + writer,
                  List.of(DnsRecord.of("*.j" + writer + ".server.example.org", "10.0." + writer + "." + round))).attempts();
            }
            return total;
          }
        }));
      }
      int totalAttempts = 0;
      for (Future<Integer> f : attempts) {
        totalAttempts += f.get(120, TimeUnit.SECONDS);
      }
      assertThat(totalAttempts).isGreaterThanOrEqualTo(writers * rounds);
    } finally {
      pool.shutdownNow();
    }

    Map<String, SortedSet<DnsRecord>> records = updater(client).currentRecords();
    assertThat(records).hasSize(writers);
    for (int w = 0; w < writers; w++) {
      assertThat(records.get("job-" + w)).containsExactly(DnsRecord.of("*.j" + w + ".server.example.org", "10.0." + w + "." + rounds));
    }
    assertThat(Corefile.parse(corefile()).serverBlock(".:53").orElseThrow().directives())
        .filteredOn(d -> d.name().equals("reload")).hasSize(1);
  }

  @Test
  @DisplayName("two controllers claiming one name: the one whose write lands first holds it; the other's locked write conflicts, "
      + "its retry sees the holder and is refused, and the Corefile answers the name from one region only")
  void claimRaceHasOneWinner() {
    DnsRecord wantedByA = DnsRecord.of("job1.server.example.org", "10.0.0.1");
    DnsRecord wantedByB = DnsRecord.of("job1.server.example.org", "10.6.6.6");
    try (KubernetesClient first = newClient(); KubernetesClient second = newClient()) {
      CoreDnsUpdater replicaA = updater(first);
      CoreDnsUpdater replicaB = updater(second);
      List<UpdateResult> bResults = new ArrayList<>();
      replicaA.beforeWrite(attempt -> {
        if (attempt == 1) {
          // B read the same Corefile as A (no holder yet) and writes between A's read and A's write
          bResults.add(replicaB.claimRecords("iflearnerjob/team-b/job1", List.of(wantedByB)));
        }
      });

      assertThatThrownBy(() -> replicaA.claimRecords("iflearnerjob/team-a/job1", List.of(wantedByA)))
          .isInstanceOfSatisfying(NameClaimedException.class, e -> {
            assertThat(e.holder()).isEqualTo("iflearnerjob/team-b/job1");
            assertThat(e.host()).isEqualTo("job1.server.example.org");
          });
      assertThat(bResults).singleElement().satisfies(b -> assertThat(b.changed()).isTrue());
      assertThat(replicaA.currentRecords()).isEqualTo(Map.of("iflearnerjob/team-b/job1", set(wantedByB)));
    }
  }

  @Test
  @DisplayName("six writers claiming one name at once from their own clients: exactly one holds it, five are refused naming it")
  void concurrentClaimsOneHolder() throws Exception {
    int writers = 6;
    CyclicBarrier start = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<String>> outcomes = new ArrayList<>();
    try {
      for (int w = 0; w < writers; w++) {
        String owner = "iflearnerjob/ns-" + w + "/job1";
        DnsRecord record = DnsRecord.of("job1.server.example.org", "10.0.0." + (w + 1));
        outcomes.add(pool.submit(() -> {
          try (KubernetesClient own = newClient()) {
            CoreDnsUpdater updater = updater(own);
            start.await(30, TimeUnit.SECONDS);
            try {
              updater.claimRecords(owner, List.of(record));
              return "held";
            } catch (NameClaimedException e) {
              return "refused:" + e.holder();
            }
          }
        }));
      }
      List<String> results = new ArrayList<>();
      for (Future<String> f : outcomes) {
        results.add(f.get(120, TimeUnit.SECONDS));
      }
      Map<String, SortedSet<DnsRecord>> records = updater(client).currentRecords();
      assertThat(records).hasSize(1);
      String holder = records.keySet().iterator().next();
      assertThat(results).filteredOn("held"::equals).hasSize(1);
      assertThat(results).filteredOn(r -> r.startsWith("refused:")).hasSize(writers - 1).allMatch(r -> r.equals("refused:" + holder));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("a person's edit outside the managed region survives the editor's next write")
  void personsEditSurvivesNextWrite() {
    CoreDnsUpdater updater = updater(client);
    updater.replaceRecords("job-a", List.of(SERVER));
    personEdits("    cache 30\n", "    # a person's note\n    cache 60\n    hosts {\n       192.168.1.10 nas.home\n       fallthrough\n    }\n");
    String personsText = corefile();

    UpdateResult result = updater.replaceRecords("job-a", List.of(SERVER, PARTY_A));

    assertThat(result.changed()).isTrue();
    String after = corefile();
    assertThat(after).contains("    # a person's note\n    cache 60\n    hosts {\n       192.168.1.10 nas.home\n");
    assertThat(after.substring(0, after.indexOf("    # flotilla-dns BEGIN")))
        .isEqualTo(personsText.substring(0, personsText.indexOf("    # flotilla-dns BEGIN")));
    assertThat(updater.currentRecords()).isEqualTo(Map.of("job-a", set(SERVER, PARTY_A)));
  }

  @Test
  @DisplayName("a person's edit landing between the editor's read and write survives, and so do the records")
  void concurrentPersonsEditSurvives() {
    CoreDnsUpdater updater = updater(client);
    updater.beforeWrite(attempt -> {
      if (attempt == 1) {
        personEdits("    cache 30\n", "    cache 90\n");
      }
    });

    UpdateResult result = updater.replaceRecords("job-a", List.of(SERVER));

    assertThat(result.attempts()).isEqualTo(2);
    assertThat(corefile()).contains("    cache 90\n").doesNotContain("cache 30");
    assertThat(updater.currentRecords()).isEqualTo(Map.of("job-a", set(SERVER)));
  }

  @Test
  @DisplayName("an unchanged record set is not written again, and removing the owner restores the original Corefile")
  void noOpAndRemoval() {
    CoreDnsUpdater updater = updater(client);
    UpdateResult first = updater.replaceRecords("job-a", List.of(SERVER));

    UpdateResult again = updater.replaceRecords("job-a", List.of(SERVER));
    UpdateResult removed = updater.removeRecords("job-a");
    UpdateResult removedAgain = updater.removeRecords("job-a");

    assertThat(again.changed()).isFalse();
    assertThat(again.resourceVersion()).isEqualTo(first.resourceVersion());
    assertThat(removed.changed()).isTrue();
    assertThat(removed.before()).containsExactly(SERVER);
    assertThat(removedAgain.changed()).isFalse();
    assertThat(corefile()).isEqualTo(Corefiles.read(Corefiles.KUBEADM));
  }

  @Test
  @DisplayName("a Corefile in the cluster that does not parse is reported with its line and left unwritten")
  void brokenCorefileIsNotWritten() {
    personEdits("    cache 30\n", "    cache 30 {\n");
    String resourceVersion = configMap().getMetadata().getResourceVersion();

    assertThatThrownBy(() -> updater(client).replaceRecords("job-a", List.of(SERVER)))
        .isInstanceOf(CorefileParseException.class)
        .hasMessage("Corefile line 1: '{' is never closed (the last '{' opened is at line 16)");
    assertThat(configMap().getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
  }

  @Test
  @DisplayName("a missing ConfigMap or key is reported by name")
  void missingConfigMap() {
    CoreDnsUpdater missing = new CoreDnsUpdater(client, new CoreDnsConfigMapRef(NAMESPACE, "nope", "Corefile"),
        new CorefileEditor(), 3);
    CoreDnsUpdater wrongKey = new CoreDnsUpdater(client, new CoreDnsConfigMapRef(NAMESPACE, ref.name(), "Other"),
        new CorefileEditor(), 3);

    assertThatThrownBy(() -> missing.replaceRecords("job-a", List.of(SERVER)))
        .isInstanceOf(CoreDnsUpdateException.class).hasMessage("configmap kube-system/nope key Corefile not found")
        .extracting(e -> ((CoreDnsUpdateException) e).reason()).isEqualTo(CoreDnsUpdateException.Reason.CONFIGMAP_NOT_FOUND);
    assertThatThrownBy(() -> wrongKey.replaceRecords("job-a", List.of(SERVER)))
        .isInstanceOf(CoreDnsUpdateException.class).hasMessageContaining("has no key 'Other'")
        .extracting(e -> ((CoreDnsUpdateException) e).reason()).isEqualTo(CoreDnsUpdateException.Reason.KEY_NOT_FOUND);
  }

  @Nested
  @DisplayName("bin/flotilla dns apply (the packaged jar in a separate JVM)")
  class Cli {
    @TempDir Path dir;

    private Path kubeconfig() throws IOException {
      Path file = dir.resolve("kubeconfig");
      Files.writeString(file, kubeConfigYaml, StandardCharsets.UTF_8);
      return file;
    }

    private ProcessResult dnsApply(String... args) throws Exception {
      Path jar = Path.of("target", "dns.jar").toAbsolutePath();
      assertThat(jar).as("packaged CLI jar (failsafe runs after package)").exists();
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString(), "apply",
          "--kubeconfig", kubeconfig().toString(), "--namespace", NAMESPACE, "--configmap", ref.name()));
      command.addAll(List.of(args));
      File out = dir.resolve("out").toFile();
      File err = dir.resolve("err").toFile();
      Process p = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("dns apply finished").isTrue();
      return new ProcessResult(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
    }

    @Test
    @DisplayName("apply writes the records into the cli region, a second run changes nothing, --remove takes one out")
    void applyAddsThenIsIdempotent() throws Exception {
      ProcessResult first = dnsApply("--record", "*.server.example.org=10.0.0.1", "--record", "*.a.party.example.org=10.0.0.2");
      String resourceVersion = configMap().getMetadata().getResourceVersion();
      ProcessResult second = dnsApply("--record", "*.server.example.org=10.0.0.1");
      ProcessResult removed = dnsApply("--remove", "*.a.party.example.org");

      assertThat(first.code).as(first.err).isZero();
      assertThat(first.out).contains("owner cli updated");
      assertThat(second.code).as(second.err).isZero();
      assertThat(second.out).contains("owner cli unchanged").contains("resourceVersion " + resourceVersion);
      assertThat(removed.code).as(removed.err).isZero();
      assertThat(updater(client).currentRecords()).isEqualTo(Map.of("cli", set(SERVER)));
    }

    @Test
    @DisplayName("apply with a bad record exits 2 naming the value and writes nothing")
    void applyBadInputWritesNothing() throws Exception {
      String resourceVersion = configMap().getMetadata().getResourceVersion();

      ProcessResult result = dnsApply("--record", "server.*.example.org=10.0.0.1");

      assertThat(result.code).isEqualTo(2);
      assertThat(result.out).isEmpty();
      assertThat(result.err.strip()).startsWith("flotilla dns apply: ").contains("'server.*.example.org'").doesNotContain("\n");
      assertThat(configMap().getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
    }

    @Test
    @DisplayName("apply against a ConfigMap that does not exist exits 4 (missing) naming it")
    void applyMissingConfigMap() throws Exception {
      client.configMaps().inNamespace(NAMESPACE).withName(ref.name()).delete();
      await().atMost(Duration.ofSeconds(30)).until(() -> configMap() == null);

      ProcessResult result = dnsApply("--record", "server.example.org=10.0.0.1");

      assertThat(result.code).isEqualTo(4);
      assertThat(result.err).contains("configmap kube-system/" + ref.name() + " key Corefile not found");
    }
  }

  private record ProcessResult(int code, String out, String err) {}
}
