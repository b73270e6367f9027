package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.Pem;
import dev.flotilla.controller.model.CertificateModel;
import dev.flotilla.controller.model.IngressClientModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodModel;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("CertificatesStep: what it writes is what the pod mounts, and what it issued it keeps on the next pass")
class CertificatesStepTest {

  static final List<String> SAMPLES = List.of("iflearner/iflearnerjob-server.yaml", "iflearner/iflearnerjob-client1.yaml",
      "flotilla-fashion-mnist/server.yaml", "flotilla-fashion-mnist/party-a.yaml", "flotilla-tabular/party-a.yaml");

  static CertificateAuthority ca;
  static String caPem;

  @BeforeAll
  static void ca() {
    ca = JobPki.newAuthority("test CA", CertificateModel.CA_LIFETIME);
    caPem = Pem.encode(ca.certificate());
  }

  /** The job's TLS Secret as the step writes it after issuing: the chain and the key as PEM, straight from memory. */
  static Secret issuedSecret(JobModel job) {
    IssuedCertificate issued = ca.issue(CertificateModel.leafRequest(job));
    return CertificateModel.tlsSecret(job, Pem.encode(issued.certificateChain()), Pem.encode(issued.privateKey()), caPem);
  }

  @Test
  @DisplayName("for every sample: each Secret and ConfigMap the pod mounts for TLS is one the step writes, holding the files the "
      + "mounts read")
  void podMountsWhatTheStepWrites() {
    for (String sample : SAMPLES) {
      JobModel job = StepFixtures.model(sample);
      Pod pod = PodModel.desired(job);
      Secret secret = issuedSecret(job);
      List<ConfigMap> configMaps = CertificatesStep.caConfigMaps(job, caPem);
      for (Volume v : pod.getSpec().getVolumes()) {
        if (v.getName().equals(PodModel.TLS_VOLUME)) {
          assertThat(v.getSecret().getSecretName()).as(sample).isEqualTo(secret.getMetadata().getName());
          assertThat(secret.getData()).as(sample).containsOnlyKeys("tls.crt", "tls.key", "ca.crt");
        } else if (v.getConfigMap() != null && List.of(PodModel.SERVER_CRT_CONFIGMAP, PodModel.PARTY_CRT_CONFIGMAP)
            .contains(v.getConfigMap().getName())) {
          ConfigMap written = configMaps.stream().filter(cm -> cm.getMetadata().getName().equals(v.getConfigMap().getName()))
              .findFirst().orElseThrow(() -> new AssertionError(sample + ": the pod mounts " + v.getConfigMap().getName()
                  + ", which the certificates step does not write"));
          for (VolumeMount m : pod.getSpec().getContainers().get(0).getVolumeMounts()) {
            if (m.getName().equals(v.getName())) {
              assertThat(written.getData()).as(sample + " " + m.getMountPath()).containsEntry(m.getSubPath(), caPem);
            }
          }
        }
      }
    }
  }

  @Test
  @DisplayName("passthrough jobs get no iflearner CA ConfigMaps; terminate-mode jobs get both")
  void caConfigMapsOnlyForTerminate() {
    assertThat(CertificatesStep.caConfigMaps(StepFixtures.model("flotilla-fashion-mnist/server.yaml"), caPem)).isEmpty();
    assertThat(CertificatesStep.caConfigMaps(StepFixtures.model("iflearner/iflearnerjob-client1.yaml"), caPem))
        .extracting(cm -> cm.getMetadata().getName()).containsExactly(PodModel.SERVER_CRT_CONFIGMAP, PodModel.PARTY_CRT_CONFIGMAP);
  }

  @Test
  @DisplayName("for every sample: a certificate the step just issued is kept on the next pass (no reissue reason), so a resync issues nothing")
  void issuedIsKept() {
    Instant now = Instant.now();
    for (String sample : SAMPLES) {
      JobModel job = StepFixtures.model(sample);
      assertThat(CertificateModel.reissueReason(job, issuedSecret(job), ca.certificate(), now)).as(sample).isEmpty();
      assertThat(CertificateModel.reissueReason(job, issuedSecret(job), ca.certificate(), now.plus(Duration.ofDays(80))))
          .as(sample + " late in its life").isPresent();
    }
  }

  @Test
  @DisplayName("ingress-nginx's client certificate, issued for a terminate-mode Flotilla server, is kept on the next pass")
  void ingressClientKept() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    server.spec().setTls(new dev.flotilla.controller.api.TlsSpec(dev.flotilla.controller.api.TlsMode.TERMINATE));
    assertThat(IngressClientModel.required(server)).isTrue();
    IssuedCertificate issued = ca.issue(IngressClientModel.leafRequest(server));
    Secret secret = IngressClientModel.secret(server, Pem.encode(issued.certificateChain()), Pem.encode(issued.privateKey()), caPem);
    assertThat(IngressClientModel.reissueReason(server, secret, ca.certificate(), caPem, Instant.now())).isEmpty();
  }
}
