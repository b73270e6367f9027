package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import dev.flotilla.testing.RogueCertificates;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngressClientModelTest {

  static CertificateAuthority ca;
  static CertificateAuthority otherCa;
  static String caPem;

  @BeforeAll
  static void cas(@TempDir Path dir) throws Exception {
    ca = JobPki.newAuthority("test CA", Duration.ofDays(365));
    otherCa = JobPki.newAuthority("other CA", Duration.ofDays(365));
    ca.writeTo(dir);
    caPem = Files.readString(dir.resolve(CertificateAuthority.CERTIFICATE_FILE));
  }

  /** The Flotilla server sample behind a terminating ingress. */
  static JobModel terminateServer(Consumer<IflearnerJob> edit) {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
    edit.accept(job);
    return new JobModel(job);
  }

  static final JobModel SERVER = terminateServer(j -> { });

  static Secret issued(CertificateAuthority issuer, LeafRequest request, String caCertificatePem, Path dir) throws Exception {
    IssuedCertificate issued = issuer.issue(request);
    issued.writeTo(dir);
    return IngressClientModel.secret(SERVER, Files.readString(dir.resolve("tls.crt")), Files.readString(dir.resolve("tls.key")),
        caCertificatePem);
  }

  /** A Secret holding a certificate of {@code dir/ca} made by hand, with both TLS usages and the given SANs. */
  Secret rogue(Path dir, String name, String... sans) throws Exception {
    Path out = RogueCertificates.issue(dir.resolve("ca"), dir.resolve(name), "ingress-nginx", sans);
    return IngressClientModel.secret(SERVER, Files.readString(out.resolve("tls.crt")), Files.readString(out.resolve("tls.key")), caPem);
  }

  @Test
  @DisplayName("needed exactly when the Ingress names proxy-ssl-secret: a Flotilla runtime with a host behind a terminating ingress")
  void required() {
    assertThat(IngressClientModel.required(SERVER)).isTrue();
    assertThat(IngressModel.desired(SERVER).getMetadata().getAnnotations())
        .containsEntry(NginxAnnotations.PROXY_SSL_SECRET, "fl/" + SERVER.ingressClientSecretName());
    assertThat(IngressClientModel.required(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl")))).as("passthrough").isFalse();
    assertThat(IngressClientModel.required(new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl")))).as("iflearner image").isFalse();
    assertThat(IngressModel.desired(new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"))).getMetadata().getAnnotations())
        .doesNotContainKey(NginxAnnotations.PROXY_SSL_SECRET);
    assertThat(IngressClientModel.required(terminateServer(j -> j.getSpec().setHost(null)))).as("no host").isFalse();
  }

  @Test
  @DisplayName("the request: CN ingress-nginx, the single URI spiffe://<domain>/ingress/ingress-nginx, no DNS names, the ingress role (clientAuth only), 90 days, EC P-256")
  void request() {
    LeafRequest r = IngressClientModel.leafRequest(SERVER);
    assertThat(r.commonName()).isEqualTo("ingress-nginx");
    assertThat(r.uri()).isEqualTo("spiffe://fl.example.org/ingress/ingress-nginx");
    assertThat(r.dnsNames()).isEmpty();
    assertThat(r.role()).isEqualTo(dev.flotilla.certs.Role.INGRESS);
    assertThat(r.lifetime()).isEqualTo(Duration.ofDays(90));
    assertThat(r.keyType()).isEqualTo(KeyType.EC_P256);
  }

  @Test
  @DisplayName("issued by the CA, the certificate has clientAuth as its only extended key usage and the ingress URI as its only SAN")
  void issuedCertificate(@TempDir Path dir) throws Exception {
    Secret s = issued(ca, IngressClientModel.leafRequest(SERVER), caPem, dir);
    X509Certificate cert = CertificateModel.parse(CertificateModel.decode(s.getData().get("tls.crt"))).get(0);
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(cert.getSubjectAlternativeNames()).extracting(san -> san.get(0) + "=" + san.get(1))
        .containsExactly("6=spiffe://fl.example.org/ingress/ingress-nginx");
    cert.verify(ca.certificate().getPublicKey());
  }

  @Test
  @DisplayName("the Secret: the name the Ingress names, in the job's namespace, kubernetes.io/tls with tls.crt, tls.key and ca.crt, owned by no job")
  void secret() {
    Secret s = IngressClientModel.secret(SERVER, "CHAIN", "KEY", "CA");
    assertThat(s.getMetadata().getName()).isEqualTo("flotilla-ingress-client.fl.example.org");
    assertThat(s.getMetadata().getNamespace()).isEqualTo("fl");
    assertThat(s.getMetadata().getOwnerReferences()).isEmpty();
    assertThat(s.getMetadata().getLabels()).containsExactly(entry("app.kubernetes.io/managed-by", "flotilla-controller"));
    assertThat(s.getMetadata().getAnnotations()).containsExactly(entry("flotilla.dev/domain", "fl.example.org"));
    assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(s.getData()).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
    assertThat(CertificateModel.decode(s.getData().get("tls.crt"))).isEqualTo("CHAIN");
    assertThat(CertificateModel.decode(s.getData().get("tls.key"))).isEqualTo("KEY");
    assertThat(CertificateModel.decode(s.getData().get("ca.crt"))).isEqualTo("CA");
    // with dots turned into dashes these two domains would share one Secret and take turns reissuing it
    assertThat(terminateServer(j -> j.getSpec().setHost("mnist.server.a-b.org")).ingressClientSecretName())
        .isNotEqualTo(terminateServer(j -> j.getSpec().setHost("mnist.server.a.b-org")).ingressClientSecretName());
  }

  @Test
  @DisplayName("a right Secret is kept; missing, foreign, party-shaped, named, serving, wrong-ca.crt or ageing ones are reissued, each with its reason")
  void reissue(@TempDir Path dir) throws Exception {
    Instant now = Instant.now();
    X509Certificate caCert = ca.certificate();
    Secret right = issued(ca, IngressClientModel.leafRequest(SERVER), caPem, Files.createDirectory(dir.resolve("right")));
    assertThat(IngressClientModel.reissueReason(SERVER, right, caCert, caPem, now)).isEmpty();
    assertThat(IngressClientModel.reissueReason(SERVER, null, caCert, caPem, now)).contains("no certificate yet");

    Secret foreign = issued(otherCa, IngressClientModel.leafRequest(SERVER), caPem, Files.createDirectory(dir.resolve("foreign")));
    assertThat(IngressClientModel.reissueReason(SERVER, foreign, caCert, caPem, now)).hasValueSatisfying(v -> assertThat(v).startsWith("not signed by the CA"));

    LeafRequest party = LeafRequest.builder(Identity.party("fl.example.org", "job1", "ingress-nginx")).clientOnly().build();
    Secret partyShaped = issued(ca, party, caPem, Files.createDirectory(dir.resolve("party")));
    assertThat(IngressClientModel.reissueReason(SERVER, partyShaped, caCert, caPem, now))
        .contains("identity changed to spiffe://fl.example.org/ingress/ingress-nginx");

    // certificates the issuer no longer makes: the ingress identity with a DNS name, or with serverAuth too
    ca.writeTo(dir.resolve("ca"));
    Secret withDns = rogue(dir, "named", "DNS:ingress.party.fl.example.org", "URI:spiffe://fl.example.org/ingress/ingress-nginx");
    assertThat(IngressClientModel.reissueReason(SERVER, withDns, caCert, caPem, now)).hasValueSatisfying(v -> assertThat(v).contains("DNS names"));

    Secret alsoServing = rogue(dir, "serving", "URI:spiffe://fl.example.org/ingress/ingress-nginx");
    assertThat(IngressClientModel.reissueReason(SERVER, alsoServing, caCert, caPem, now)).contains("its key usages are not clientAuth only");

    Secret wrongCa = issued(ca, IngressClientModel.leafRequest(SERVER), "OTHER PEM", Files.createDirectory(dir.resolve("wrongca")));
    assertThat(IngressClientModel.reissueReason(SERVER, wrongCa, caCert, caPem, now)).hasValueSatisfying(v -> assertThat(v).startsWith("ca.crt is not"));

    X509Certificate leaf = CertificateModel.parse(CertificateModel.decode(right.getData().get("tls.crt"))).get(0);
    Instant renewAt = leaf.getNotAfter().toInstant().minus(Duration.between(leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant()).dividedBy(3));
    assertThat(IngressClientModel.reissueReason(SERVER, right, caCert, caPem, renewAt.minusSeconds(1))).isEmpty();
    assertThat(IngressClientModel.reissueReason(SERVER, right, caCert, caPem, renewAt)).hasValueSatisfying(v -> assertThat(v).startsWith("expires at"));
  }

  @Nested
  @DisplayName("the aggregator's trust in ingress-nginx")
  class TrustedProxy {
    @Test
    @DisplayName("a Flotilla aggregator behind a terminating ingress gets --trusted-proxy=ingress-nginx after its own args")
    void added() {
      Pod p = PodModel.desired(SERVER);
      List<String> args = p.getSpec().getContainers().get(0).getArgs();
      assertThat(args).containsSubsequence("--port=8443", "--state-dir=/var/lib/flotilla/state", "--trusted-proxy=ingress-nginx");
      assertThat(args).filteredOn(a -> a.startsWith("--trusted-proxy")).hasSize(1);
    }

    @Test
    @DisplayName("not for passthrough, iflearner images or parties; never twice, and not when the template names its trusted proxies itself")
    void notAdded() {
      assertThat(PodModel.desired(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl"))).getSpec().getContainers().get(0).getArgs())
          .noneMatch(a -> a.startsWith("--trusted-proxy"));
      IflearnerJob iflearner = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      assertThat(PodModel.desired(new JobModel(iflearner)).getSpec().getContainers().get(0).getArgs())
          .noneMatch(a -> a.startsWith("--trusted-proxy"));
      IflearnerJob party = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
      party.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
      assertThat(PodModel.desired(new JobModel(party)).getSpec().getContainers().get(0).getArgs())
          .noneMatch(a -> a.startsWith("--trusted-proxy"));
      for (List<String> own : List.of(List.of("--trusted-proxy=my-proxy"), List.of("--trusted-proxy", "my-proxy"))) {
        JobModel job = terminateServer(j -> {
          List<String> args = new ArrayList<>(j.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
          args.addAll(own);
          j.getSpec().getTemplate().getSpec().getContainers().get(0).setArgs(args);
        });
        assertThat(PodModel.desired(job).getSpec().getContainers().get(0).getArgs())
            .as("template with " + own).doesNotContain("--trusted-proxy=ingress-nginx");
      }
      // building the pod twice from one model adds nothing to the template
      PodModel.desired(SERVER);
      assertThat(SERVER.spec().getTemplate().getSpec().getContainers().get(0).getArgs()).noneMatch(a -> a.startsWith("--trusted-proxy"));
    }
  }
}
