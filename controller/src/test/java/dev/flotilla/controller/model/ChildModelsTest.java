package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ChildModelsTest {

  private static final JobModel IFL_SERVER = new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"));
  private static final JobModel IFL_PARTY_A = new JobModel(Samples.load("iflearner/iflearnerjob-client1.yaml", "fl"));
  private static final JobModel FLO_SERVER = new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"));
  private static final JobModel FLO_PARTY_A = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));

  static void assertOwnedChild(io.fabric8.kubernetes.api.model.HasMetadata child, JobModel job, String name) {
    assertThat(child.getMetadata().getName()).isEqualTo(name);
    assertThat(child.getMetadata().getNamespace()).isEqualTo(job.namespace());
    assertThat(child.getMetadata().getLabels()).contains(
        entry("app.kubernetes.io/name", "iflearnerjob"),
        entry("app.kubernetes.io/instance", job.name()),
        entry("app.kubernetes.io/managed-by", "flotilla-controller"),
        entry("git.iflytek.com/role", job.role().wireName()));
    assertThat(child.getMetadata().getOwnerReferences()).hasSize(1);
    OwnerReference owner = child.getMetadata().getOwnerReferences().get(0);
    assertThat(owner.getApiVersion()).isEqualTo("git.iflytek.com/v1");
    assertThat(owner.getKind()).isEqualTo("IflearnerJob");
    assertThat(owner.getName()).isEqualTo(job.name());
    assertThat(owner.getUid()).isEqualTo("uid-" + job.name());
    assertThat(owner.getController()).isTrue();
    assertThat(owner.getBlockOwnerDeletion()).isTrue();
  }

  @Nested
  @DisplayName("Service")
  class ServiceTests {
    @Test
    @DisplayName("a server's Service exposes the gRPC port and the aggregator's metrics port and selects only its pod")
    void server() {
      Service s = ServiceModel.desired(FLO_SERVER);
      assertOwnedChild(s, FLO_SERVER, "fashion-server");
      assertThat(s.getSpec().getType()).isEqualTo("ClusterIP");
      assertThat(s.getSpec().getSelector()).containsExactly(
          entry("app.kubernetes.io/name", "iflearnerjob"), entry("app.kubernetes.io/instance", "fashion-server"));
      assertThat(s.getSpec().getPorts()).hasSize(2);
      assertThat(s.getSpec().getPorts().get(0).getName()).isEqualTo("grpc");
      assertThat(s.getSpec().getPorts().get(0).getPort()).isEqualTo(8443);
      assertThat(s.getSpec().getPorts().get(0).getTargetPort().getIntVal()).isEqualTo(8443);
      assertThat(s.getSpec().getPorts().get(0).getProtocol()).isEqualTo("TCP");
      assertThat(s.getSpec().getPorts().get(1).getName()).isEqualTo("metrics");
      assertThat(s.getSpec().getPorts().get(1).getPort()).isEqualTo(9090);
    }

    @Test
    @DisplayName("a party's Service exposes only its gRPC port (iflearner's 50001 by default)")
    void party() {
      Service s = ServiceModel.desired(IFL_PARTY_A);
      assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
        assertThat(p.getName()).isEqualTo("grpc");
        assertThat(p.getPort()).isEqualTo(50001);
        assertThat(p.getTargetPort().getIntVal()).isEqualTo(50001);
      });
    }
  }

  @Nested
  @DisplayName("Ingress")
  class IngressTests {
    @Test
    @DisplayName("passthrough: class nginx, ssl-passthrough on, no TLS section, no HTTP proxy annotations, host routed to the Service")
    void passthrough() {
      Ingress i = IngressModel.desired(FLO_PARTY_A);
      assertOwnedChild(i, FLO_PARTY_A, "fashion-party-a");
      assertThat(i.getSpec().getIngressClassName()).isEqualTo("nginx");
      assertThat(i.getMetadata().getAnnotations()).containsExactly(entry(NginxAnnotations.SSL_PASSTHROUGH, "true"));
      assertThat(i.getSpec().getTls()).isEmpty();
      assertThat(i.getSpec().getRules()).singleElement().satisfies(r -> {
        assertThat(r.getHost()).isEqualTo("fashion.a.party.fl.example.org");
        assertThat(r.getHttp().getPaths()).singleElement().satisfies(p -> {
          assertThat(p.getPath()).isEqualTo("/");
          assertThat(p.getPathType()).isEqualTo("Prefix");
          assertThat(p.getBackend().getService().getName()).isEqualTo("fashion-party-a");
          assertThat(p.getBackend().getService().getPort().getNumber()).isEqualTo(8443);
        });
      });
    }

    @Test
    @DisplayName("terminate, iflearner image: backend-protocol GRPC (plaintext), no client-certificate check, the job's TLS Secret, 512m bodies and one-hour gRPC read/send timeouts")
    void terminate() {
      Ingress i = IngressModel.desired(IFL_SERVER);
      assertThat(i.getSpec().getIngressClassName()).isEqualTo("nginx");
      assertThat(i.getMetadata().getAnnotations()).containsOnly(
          entry(NginxAnnotations.BACKEND_PROTOCOL, "GRPC"),
          entry(NginxAnnotations.SSL_REDIRECT, "true"),
          entry(NginxAnnotations.PROXY_BODY_SIZE, "512m"),
          entry(NginxAnnotations.PROXY_READ_TIMEOUT, "3600"),
          entry(NginxAnnotations.PROXY_SEND_TIMEOUT, "3600"),
          entry(NginxAnnotations.PROXY_CONNECT_TIMEOUT, "30"));
      assertThat(i.getSpec().getTls()).singleElement().satisfies(t -> {
        assertThat(t.getHosts()).containsExactly("job1.server.iflearner.com");
        assertThat(t.getSecretName()).isEqualTo("iflearnerjob-server-tls");
      });
      assertThat(i.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getPort().getNumber())
          .isEqualTo(50051);
      // 256 MiB models must fit under the body limit
      assertThat(Integer.parseInt(IngressModel.BODY_SIZE.replace("m", ""))).isGreaterThanOrEqualTo(256);
    }

    @Test
    @DisplayName("terminate, Flotilla image: nginx verifies the client certificate against the job's CA, passes it "
        + "upstream, and speaks gRPC over mutual TLS to the pod with the ingress's own client certificate")
    void terminateFlotillaRuntime() {
      var job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
      job.getSpec().setTls(new dev.flotilla.controller.api.TlsSpec(dev.flotilla.controller.api.TlsMode.TERMINATE));
      JobModel model = new JobModel(job);
      Ingress i = IngressModel.desired(model);
      assertThat(i.getMetadata().getAnnotations()).containsOnly(
          entry(NginxAnnotations.BACKEND_PROTOCOL, "GRPCS"),
          entry(NginxAnnotations.AUTH_TLS_SECRET, "fl/" + model.tlsSecretName()),
          entry(NginxAnnotations.AUTH_TLS_VERIFY_CLIENT, "on"),
          entry(NginxAnnotations.AUTH_TLS_PASS_CERTIFICATE, "true"),
          entry(NginxAnnotations.PROXY_SSL_SECRET, "fl/flotilla-ingress-client." + model.domain()),
          entry(NginxAnnotations.PROXY_SSL_VERIFY, "on"),
          entry(NginxAnnotations.PROXY_SSL_NAME, model.host()),
          entry(NginxAnnotations.PROXY_SSL_SERVER_NAME, "on"),
          entry(NginxAnnotations.SSL_REDIRECT, "true"),
          entry(NginxAnnotations.PROXY_BODY_SIZE, "512m"),
          entry(NginxAnnotations.PROXY_READ_TIMEOUT, "3600"),
          entry(NginxAnnotations.PROXY_SEND_TIMEOUT, "3600"),
          entry(NginxAnnotations.PROXY_CONNECT_TIMEOUT, "30"));
      assertThat(i.getSpec().getTls()).singleElement().satisfies(t -> {
        assertThat(t.getHosts()).containsExactly(model.host());
        assertThat(t.getSecretName()).isEqualTo(model.tlsSecretName());
      });
    }

    @Test
    @DisplayName("a job without a host gets no Ingress")
    void noHost() {
      IflearnerJob job = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      job.getSpec().setHost(" ");
      assertThat(IngressModel.desired(new JobModel(job))).isNull();
    }
  }

  @Nested
  @DisplayName("Pod")
  class PodTests {
    @Test
    @DisplayName("the pod is spec.template with the job's labels, owner, the TLS Secret mounted read-only at /etc/flotilla/tls "
        + "and, for a Flotilla server, its parties file")
    void flotillaPod() {
      Pod p = PodModel.desired(FLO_SERVER);
      assertOwnedChild(p, FLO_SERVER, "fashion-server");
      assertThat(p.getSpec().getSecurityContext().getFsGroup()).isEqualTo(10001L);
      assertThat(p.getSpec().getVolumes()).extracting(v -> v.getName()).containsExactly("state", "flotilla-tls", "flotilla-parties", "flotilla-revoked",
          "flotilla-tmp");
      assertThat(p.getSpec().getVolumes().get(1).getSecret().getSecretName()).isEqualTo("fashion-server-tls");
      assertThat(p.getSpec().getVolumes().get(1).getSecret().getDefaultMode()).isEqualTo(0440);
      Container c = p.getSpec().getContainers().get(0);
      assertThat(c.getImage()).isEqualTo("localhost/flotilla/server:0.1.0-SNAPSHOT");
      assertThat(c.getArgs()).contains("--cert=/etc/flotilla/tls/tls.crt", "--key=/etc/flotilla/tls/tls.key", "--ca=/etc/flotilla/tls/ca.crt");
      assertThat(c.getArgs()).endsWith("--allow-party-file=/etc/flotilla/parties/parties",
          "--revoked-serials=/etc/flotilla/revoked/serials");
      assertThat(c.getVolumeMounts()).extracting(VolumeMount::getName, VolumeMount::getMountPath, VolumeMount::getReadOnly)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("state", "/var/lib/flotilla/state", null),
              org.assertj.core.groups.Tuple.tuple("flotilla-tls", "/etc/flotilla/tls", true),
              org.assertj.core.groups.Tuple.tuple("flotilla-parties", "/etc/flotilla/parties", true),
              org.assertj.core.groups.Tuple.tuple("flotilla-revoked", "/etc/flotilla/revoked", true),
              org.assertj.core.groups.Tuple.tuple("flotilla-tmp", "/tmp", null));
      assertThat(p.getMetadata().getAnnotations()).containsKey("flotilla.dev/template-hash");
      // the job's own template is not modified by building the pod
      assertThat(FLO_SERVER.spec().getTemplate().getSpec().getVolumes()).hasSize(1);
      assertThat(FLO_SERVER.firstContainer().getArgs()).noneMatch(a -> a.startsWith("--allow-party-file"));
    }

    @Test
    @DisplayName("a terminate-mode iflearner party gets both iflearner CA ConfigMaps at the paths its README passes to --cert and --peer-cert")
    void iflearnerPartyPaths() {
      Pod p = PodModel.desired(IFL_PARTY_A);
      assertThat(p.getSpec().getRestartPolicy()).isEqualTo("Never");
      assertThat(p.getSpec().getVolumes()).extracting(v -> v.getName())
          .containsExactly("flotilla-tls", "server-iflearner-crt", "party-iflearner-crt");
      assertThat(p.getSpec().getVolumes().get(1).getConfigMap().getName()).isEqualTo("server-iflearner-crt");
      assertThat(p.getSpec().getVolumes().get(2).getConfigMap().getName()).isEqualTo("party-iflearner-crt");
      Container c = p.getSpec().getContainers().get(0);
      assertThat(c.getVolumeMounts()).extracting(VolumeMount::getMountPath, VolumeMount::getSubPath)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("/etc/flotilla/tls", null),
              org.assertj.core.groups.Tuple.tuple("/etc/server-iflearner-secret.crt", "server-iflearner-secret.crt"),
              org.assertj.core.groups.Tuple.tuple("/etc/party-iflearner-secret.crt", "party-iflearner-secret.crt"));
      assertThat(c.getArgs()).contains("--cert=/etc/server-iflearner-secret.crt", "--peer-cert=/etc/party-iflearner-secret.crt");
    }

    @Test
    @DisplayName("an iflearner server (TLS ends at the ingress) needs no iflearner CA ConfigMaps, and gets no parties file: its arguments are its template's")
    void iflearnerServer() {
      Pod p = PodModel.desired(IFL_SERVER);
      assertThat(p.getSpec().getVolumes()).extracting(v -> v.getName()).containsExactly("flotilla-tls");
      assertThat(p.getSpec().getContainers().get(0).getArgs()).isEqualTo(IFL_SERVER.firstContainer().getArgs());
    }

    @Test
    @DisplayName("spec.schedulername becomes the pod's schedulerName; template labels are kept")
    void schedulerNameAndLabels() {
      IflearnerJob job = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      job.getSpec().setSchedulerName("volcano");
      job.getSpec().getTemplate().setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
          .withLabels(Map.of("team", "blue")).withAnnotations(Map.of("note", "x")).build());
      Pod p = PodModel.desired(new JobModel(job));
      assertThat(p.getSpec().getSchedulerName()).isEqualTo("volcano");
      assertThat(p.getMetadata().getLabels()).contains(entry("team", "blue"), entry("app.kubernetes.io/instance", "iflearnerjob-server"));
      assertThat(p.getMetadata().getAnnotations()).contains(entry("note", "x"));
    }

    @Test
    @DisplayName("the template hash is stable for the same template and changes when the template changes")
    void templateHash() {
      String a = PodModel.desired(IFL_SERVER).getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
      String b = PodModel.desired(new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl")))
          .getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
      IflearnerJob changed = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      changed.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("ghcr.io/iflytek/iflearner:v0.2.0");
      String c = PodModel.desired(new JobModel(changed)).getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION);
      assertThat(a).isEqualTo(b).hasSize(16);
      assertThat(c).isNotEqualTo(a);
    }
  }

  @Nested
  @DisplayName("NetworkPolicy")
  class NetworkPolicyTests {
    @Test
    @DisplayName("isolation: in only from ingress-nginx pods on the gRPC port; out only to kube-dns on 53 and to the ingress (pods and address)")
    void isolation() {
      NetworkPolicy np = NetworkPolicyModel.desired(FLO_PARTY_A, "10.0.0.7", IsolationDefaults.defaults());
      assertOwnedChild(np, FLO_PARTY_A, "fashion-party-a-isolation");
      assertThat(np.getSpec().getPodSelector().getMatchLabels()).containsExactly(
          entry("app.kubernetes.io/name", "iflearnerjob"), entry("app.kubernetes.io/instance", "fashion-party-a"));
      assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
      assertThat(np.getSpec().getIngress()).singleElement().satisfies(rule -> {
        assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
          assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "ingress-nginx"));
          assertThat(peer.getPodSelector().getMatchLabels()).containsExactly(entry("app.kubernetes.io/name", "ingress-nginx"));
        });
        assertThat(rule.getPorts()).singleElement().satisfies(p -> {
          assertThat(p.getProtocol()).isEqualTo("TCP");
          assertThat(p.getPort().getIntVal()).isEqualTo(8443);
        });
      });
      assertThat(np.getSpec().getEgress()).hasSize(2);
      var dns = np.getSpec().getEgress().get(0);
      assertThat(dns.getTo()).singleElement().satisfies(peer -> {
        assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "kube-system"));
        assertThat(peer.getPodSelector().getMatchLabels()).containsExactly(entry("k8s-app", "kube-dns"));
      });
      assertThat(dns.getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).containsExactly("UDP/53", "TCP/53");
      var ingress = np.getSpec().getEgress().get(1);
      assertThat(ingress.getTo()).hasSize(2);
      assertThat(ingress.getTo().get(1).getIpBlock().getCidr()).isEqualTo("10.0.0.7/32");
      assertThat(ingress.getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).containsExactly("TCP/443", "TCP/80");
    }

    @Test
    @DisplayName("when the controller polls progress, a Flotilla aggregator lets in the controller's pods of its namespace on the gRPC "
        + "port; an iflearner server and a party do not, nor any job when the controller does not poll")
    void controllerReadsProgress() {
      NetworkPolicy np = NetworkPolicyModel.desired(FLO_SERVER, null, IsolationDefaults.defaults(), null, "flotilla-system");
      assertThat(np.getSpec().getIngress()).hasSize(3);
      var controller = np.getSpec().getIngress().get(1);
      assertThat(controller.getFrom()).singleElement().satisfies(peer -> {
        assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "flotilla-system"));
        assertThat(peer.getPodSelector().getMatchLabels()).containsExactly(entry("app.kubernetes.io/name", "flotilla-controller"));
      });
      assertThat(controller.getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).containsExactly("TCP/8443");
      assertThat(NetworkPolicyModel.desired(FLO_SERVER, null, IsolationDefaults.defaults()).getSpec().getIngress()).hasSize(2);
      assertThat(NetworkPolicyModel.desired(IFL_SERVER, null, IsolationDefaults.defaults(), null, "flotilla-system").getSpec().getIngress())
          .hasSize(2);
      assertThat(NetworkPolicyModel.desired(FLO_PARTY_A, null, IsolationDefaults.defaults(), null, "flotilla-system").getSpec().getIngress())
          .hasSize(1);
    }

    @Test
    @DisplayName("isolation is on by default; an aggregator's metrics port is open to the scraper's namespaces (default: the one named monitoring)")
    void metricsScraper() {
      NetworkPolicy np = NetworkPolicyModel.desired(IFL_SERVER, null, IsolationDefaults.defaults());
      assertOwnedChild(np, IFL_SERVER, "iflearnerjob-server-isolation");
      assertThat(np.getSpec().getIngress()).hasSize(2);
      assertThat(np.getSpec().getIngress().get(0).getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal())
          .containsExactly("TCP/50051");
      var scrape = np.getSpec().getIngress().get(1);
      assertThat(scrape.getPorts()).extracting(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).containsExactly("TCP/9090");
      assertThat(scrape.getFrom()).singleElement().satisfies(peer -> {
        assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "monitoring"));
        assertThat(peer.getPodSelector()).isNull();
        assertThat(peer.getIpBlock()).isNull();
      });
      // parties have no metrics port, so no scraper rule
      assertThat(NetworkPolicyModel.desired(IFL_PARTY_A, null, IsolationDefaults.defaults()).getSpec().getIngress()).hasSize(1);
      IflearnerJob noMetrics = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      noMetrics.getSpec().setMetricsPort(0);
      assertThat(NetworkPolicyModel.desired(new JobModel(noMetrics), null, IsolationDefaults.defaults()).getSpec().getIngress()).hasSize(1);
    }

    @Test
    @DisplayName("the controller's scraper selectors and ingress namespace are used; a job's spec.isolation.ingressNamespace wins over the latter")
    void configuredSelectors() {
      IsolationDefaults custom = new IsolationDefaults("ingress-system", Map.of("team", "observability", "tier", "infra"),
          Map.of("app.kubernetes.io/name", "prometheus"));
      NetworkPolicy np = NetworkPolicyModel.desired(IFL_SERVER, null, custom);
      assertThat(np.getSpec().getIngress().get(0).getFrom().get(0).getNamespaceSelector().getMatchLabels())
          .containsExactly(entry("kubernetes.io/metadata.name", "ingress-system"));
      assertThat(np.getSpec().getEgress().get(1).getTo().get(0).getNamespaceSelector().getMatchLabels())
          .containsExactly(entry("kubernetes.io/metadata.name", "ingress-system"));
      var scraper = np.getSpec().getIngress().get(1).getFrom().get(0);
      assertThat(scraper.getNamespaceSelector().getMatchLabels()).containsExactly(entry("team", "observability"), entry("tier", "infra"));
      assertThat(scraper.getPodSelector().getMatchLabels()).containsExactly(entry("app.kubernetes.io/name", "prometheus"));
      IflearnerJob own = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      own.getSpec().setIsolation(new dev.flotilla.controller.api.IsolationSpec(null, "nginx-internal"));
      assertThat(NetworkPolicyModel.desired(new JobModel(own), null, custom).getSpec().getIngress().get(0).getFrom().get(0)
          .getNamespaceSelector().getMatchLabels()).containsExactly(entry("kubernetes.io/metadata.name", "nginx-internal"));
    }

    @Test
    @DisplayName("an empty scraper namespace selector (which would admit every namespace) is refused")
    void emptyScraperSelector() {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new IsolationDefaults("ingress-nginx", Map.of(), Map.of()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
    }

    @Test
    @DisplayName("a job that switches isolation off explicitly gets no policy; without a known address the egress rule names only the ingress pods")
    void offAndNoAddress() {
      IflearnerJob off = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
      off.getSpec().getIsolation().setEnabled(false);
      assertThat(NetworkPolicyModel.desired(new JobModel(off), "10.0.0.7", IsolationDefaults.defaults())).isNull();
      assertThat(NetworkPolicyModel.desired(FLO_PARTY_A, null, IsolationDefaults.defaults()).getSpec().getEgress().get(1).getTo()).hasSize(1);
    }
  }

  @Nested
  @DisplayName("DNS records")
  class DnsTests {
    @Test
    @DisplayName("a job publishes exactly its host, never a wildcard (*.server.<domain> would answer every other job's server names)")
    void exactHosts() {
      assertThat(DnsModel.records(IFL_SERVER, "172.31.164.52")).singleElement()
          .hasToString("job1.server.iflearner.com=172.31.164.52");
      assertThat(DnsModel.records(IFL_PARTY_A, "172.31.164.53")).singleElement()
          .hasToString("job1.a.party.iflearner.com=172.31.164.53");
    }

    @Test
    @DisplayName("an IPv6 address gives an AAAA record; no address or DNS switched off gives no record")
    void ipv6AndNone() {
      IflearnerJob job = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      assertThat(DnsModel.records(new JobModel(job), "fd00::7")).singleElement()
          .satisfies(r -> assertThat(r.type()).isEqualTo(dev.flotilla.dns.RecordType.AAAA))
          .hasToString("job1.server.iflearner.com=fd00::7");
      assertThat(DnsModel.records(IFL_SERVER, null)).isEmpty();
      job.getSpec().setDns(new dev.flotilla.controller.api.DnsSpec(false, null));
      assertThat(DnsModel.records(new JobModel(job), "10.1.2.3")).isEmpty();
    }
  }
}
