package dev.flotilla.controller.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.ProgressTarget;
import dev.flotilla.controller.model.Samples;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.CertificateStore;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.controller.operator.ObserverCredentials;
import dev.flotilla.testing.OnKubeApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The controller's certificate store and its observer identity keep private keys in memory and in
 * Secrets only. Run by the failsafe execution {@code keys-in-memory} of controller/pom.xml, in a JVM
 * whose {@code java.io.tmpdir} is a directory of its own ({@value #TMPDIR_NAME}), with Netty's native
 * library unpacked elsewhere: a temporary file or directory the issuing paths make appears there. The
 * entries there before issuing are the data and WAL directories of the test's own etcd (kube-api-test).
 */
@DisplayName("the controller issues CAs, leaf and ingress-client certificates and its observer identity without a file in the temp directory")
class KeysStayInMemoryIT extends OnKubeApiServer {

  static final String TMPDIR_NAME = "keys-in-memory-tmp";
  static final String CONTROLLER_NAMESPACE = "flotilla-system";
  static final String JOB_NAMESPACE = "team";

  static KubernetesClient client;
  static Path tmpdir;

  @BeforeAll
  static void dedicatedTmpdir() {
    String dedicated = System.getProperty("flotilla.keys-in-memory.tmpdir");
    // elsewhere (e.g. -Dit.test=KeysStayInMemoryIT in the default execution) the check would watch a shared /tmp
    assumeTrue(dedicated != null, "runs in the failsafe execution keys-in-memory only");
    tmpdir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    assertThat(tmpdir).as("java.io.tmpdir of this JVM").isEqualTo(Path.of(dedicated).toAbsolutePath());
    assertThat(tmpdir.getFileName()).hasToString(TMPDIR_NAME);
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    for (String ns : List.of(CONTROLLER_NAMESPACE, JOB_NAMESPACE)) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
  }

  @AfterAll
  static void close() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  @DisplayName("a CA, two jobs' TLS Secrets, the ingress client Secret and the observer's TLS context: keys in the Secrets, "
      + "nothing made in java.io.tmpdir")
  void issuingWritesNoFile() throws IOException {
    Set<String> before = entries(tmpdir);
    assertThat(before).as("entries of %s before issuing: kube-api-test's etcd data and WAL only", tmpdir)
        .allMatch(name -> name.startsWith("etcddata") || name.startsWith("etcdwal"));
    // a file made and deleted while issuing is seen too: watch the directory, not only what is left in it
    WatchService watch = tmpdir.getFileSystem().newWatchService();
    tmpdir.register(watch, StandardWatchEventKinds.ENTRY_CREATE);

    CertificateAuthorities authorities =
        new CertificateAuthorities(client, CONTROLLER_NAMESPACE, ObservedState.direct(client, CONTROLLER_NAMESPACE));
    CertificateStore store = new CertificateStore(client, new ChildApplier(client), authorities, Clock.systemUTC());
    ObserverCredentials observer = new ObserverCredentials(authorities, Clock.systemUTC());
    JobModel server = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", JOB_NAMESPACE));
    // the same server with nginx ending TLS: its Ingress forwards with a client certificate the controller issues
    IflearnerJob behindNginx = Samples.load("flotilla-fashion-mnist/server.yaml", JOB_NAMESPACE);
    behindNginx.getMetadata().setName("fashion-server-terminated");
    behindNginx.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
    JobModel terminating = new JobModel(behindNginx);
    assertThat(IngressClientModel.required(terminating)).as("a terminated Flotilla job names an ingress client Secret").isTrue();

    assertThat(store.ensureLeaf(server).issued()).isTrue();
    assertThat(store.ensureLeaf(terminating).issued()).isTrue();
    assertThat(store.ensureIngressClient(terminating).issued()).isTrue();
    SslContext context = observer.sslContext(new ProgressTarget(JOB_NAMESPACE + "/" + server.name(), "10.0.0.1:8443",
        server.host(), server.domain(), server.identityJob(), server.namespace()));
    assertThat(context.isClient()).isTrue();

    // the keys went where they belong: into the Secrets, as PEM
    List<Secret> cas = client.secrets().inNamespace(CONTROLLER_NAMESPACE).list().getItems().stream()
        .filter(s -> s.getData() != null && s.getData().containsKey(CertificateModel.CA_KEY)).toList();
    assertThat(cas).as("the CA Secret").hasSize(1);
    assertThat(CertificateModel.decode(cas.get(0).getData().get(CertificateModel.CA_KEY))).contains("PRIVATE KEY");
    for (String name : List.of(server.tlsSecretName(), terminating.tlsSecretName(), terminating.ingressClientSecretName())) {
      Secret secret = client.secrets().inNamespace(JOB_NAMESPACE).withName(name).get();
      assertThat(CertificateModel.decode(secret.getData().get(CertificateModel.TLS_KEY))).as(name).contains("PRIVATE KEY");
    }

    List<String> created = new ArrayList<>();
    WatchKey key = watch.poll();
    if (key != null) {
      key.pollEvents().forEach(e -> created.add(e.kind() + " " + e.context()));
    }
    watch.close();
    assertThat(created).as("entries created in %s while issuing", tmpdir).isEmpty();
    assertThat(entries(tmpdir)).as("entries of %s after issuing", tmpdir).isEqualTo(before);
  }

  static Set<String> entries(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).collect(TreeSet::new, Set::add, Set::addAll);
    }
  }
}
