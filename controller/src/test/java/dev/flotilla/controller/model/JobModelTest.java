package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.api.TlsSpec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JobModelTest {

  @Test
  @DisplayName("the iflearner server sample resolves to domain iflearner.com, identity job1 of job job1, terminate mode, port 50051")
  void iflearnerServerDefaults() {
    JobModel m = new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"));
    assertThat(m.role()).isEqualTo(Role.SERVER);
    assertThat(m.host()).isEqualTo("job1.server.iflearner.com");
    assertThat(m.domain()).isEqualTo("iflearner.com");
    assertThat(m.identityJob()).isEqualTo("job1");
    assertThat(m.identityName()).isEqualTo("job1");
    assertThat(m.identityUri()).isEqualTo("spiffe://iflearner.com/job/job1/server/job1");
    assertThat(m.tlsMode()).isEqualTo(TlsMode.TERMINATE);
    assertThat(m.grpcPort()).isEqualTo(50051);
    assertThat(m.metricsPort()).isEqualTo(9090);
    assertThat(m.dnsEnabled()).isTrue();
    assertThat(m.isolationEnabled()).isTrue();
    assertThat(m.ingressNamespace("ingress-nginx")).isEqualTo("ingress-nginx");
    assertThat(m.tlsSecretName()).isEqualTo("iflearnerjob-server-tls");
    assertThat(m.dnsOwner()).isEqualTo("iflearnerjob/fl/iflearnerjob-server");
  }

  @Test
  @DisplayName("an iflearner party's identity is its party label in its host's job, its port iflearner's peer port 50001, and it has no metrics port")
  void iflearnerPartyDefaults() {
    JobModel m = new JobModel(Samples.load("iflearner/iflearnerjob-client2.yaml", "fl"));
    assertThat(m.domain()).isEqualTo("iflearner.com");
    assertThat(m.identityJob()).isEqualTo("job1");
    assertThat(m.identityName()).isEqualTo("b");
    assertThat(m.identityUri()).isEqualTo("spiffe://iflearner.com/job/job1/party/b");
    assertThat(m.grpcPort()).isEqualTo(50001);
    assertThat(m.metricsPort()).isZero();
  }

  @Test
  @DisplayName("a Flotilla runtime image defaults to passthrough; spec.tls.mode overrides the default either way")
  void tlsModeDefaultAndOverride() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().setTls(null);
    assertThat(new JobModel(job).tlsMode()).isEqualTo(TlsMode.PASSTHROUGH);
    job.getSpec().setTls(new TlsSpec(TlsMode.TERMINATE));
    assertThat(new JobModel(job).tlsMode()).isEqualTo(TlsMode.TERMINATE);
    IflearnerJob iflearner = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
    iflearner.getSpec().setTls(new TlsSpec(TlsMode.PASSTHROUGH));
    assertThat(new JobModel(iflearner).tlsMode()).isEqualTo(TlsMode.PASSTHROUGH);
  }

  @Test
  @DisplayName("spec.port wins over the containerPort, which wins over the role's default; the host, not spec.domain, gives the identity's domain")
  void portAndDomainPrecedence() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    assertThat(new JobModel(job).grpcPort()).isEqualTo(8443);
    job.getSpec().setPort(null);
    assertThat(new JobModel(job).grpcPort()).isEqualTo(8443);
    job.getSpec().getTemplate().getSpec().getContainers().get(0).setPorts(null);
    assertThat(new JobModel(job).grpcPort()).isEqualTo(50001);
    job.getSpec().setPort(7000);
    assertThat(new JobModel(job).grpcPort()).isEqualTo(7000);
    assertThat(new JobModel(job).domain()).isEqualTo("fl.example.org");
    job.getSpec().setDomain("Other.Example");
    assertThat(new JobModel(job).domain()).isEqualTo("fl.example.org"); // HostAdmission refuses the job for the mismatch
    assertThat(new JobModel(job).identityUri()).isEqualTo("spiffe://fl.example.org/job/fashion/party/a");
  }

  @Test
  @DisplayName("a job without a host gets a namespace domain, its object name as identity, and no DNS")
  void noHost() {
    IflearnerJob job = Samples.load("iflearner/iflearnerjob-server.yaml", "team1");
    job.getSpec().setHost(null);
    JobModel m = new JobModel(job);
    assertThat(m.domain()).isEqualTo("team1.flotilla.local");
    assertThat(m.identityName()).isEqualTo("iflearnerjob-server");
    assertThat(m.dnsEnabled()).isFalse();
  }

  @Test
  @DisplayName("a job without containers is refused with a message naming the job and the field")
  void noContainers() {
    IflearnerJob job = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
    job.getSpec().getTemplate().getSpec().setContainers(java.util.List.of());
    assertThatThrownBy(() -> new JobModel(job))
        .hasMessageContaining("fl/iflearnerjob-server").hasMessageContaining("spec.template.spec.containers");
  }
}
