package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.dns.HostPolicy;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostAdmissionTest {

  private static final HostPolicy DEFAULTS = HostPolicy.defaults();

  private static JobModel job(String sample, Role role, String host) {
    IflearnerJob j = Samples.load(sample, "team");
    j.getSpec().setRole(role);
    j.getSpec().setHost(host);
    return new JobModel(j);
  }

  @ParameterizedTest
  @ValueSource(strings = {"iflearner/iflearnerjob-server.yaml", "iflearner/iflearnerjob-client1.yaml", "iflearner/iflearnerjob-client2.yaml",
      "flotilla-fashion-mnist/server.yaml", "flotilla-fashion-mnist/party-a.yaml", "flotilla-fashion-mnist/party-b.yaml"})
  @DisplayName("every shipped sample is admitted in the default configuration")
  void samplesAdmitted(String sample) {
    JobModel m = new JobModel(Samples.load(sample, "team"));
    Observation o = HostAdmission.observe(m, DEFAULTS);
    assertThat(o.type()).isEqualTo("HostAccepted");
    assertThat(o.ready()).as(o.message()).isTrue();
    assertThat(o.reason()).isEqualTo("Accepted");
    assertThat(HostAdmission.admitted(m, DEFAULTS)).get().satisfies(h -> assertThat(h.host()).isEqualTo(m.host()));
  }

  @Test
  @DisplayName("the accepted condition says which role, job, party and domain the host stands for")
  void acceptedMessage() {
    assertThat(HostAdmission.observe(new JobModel(Samples.load("iflearner/iflearnerjob-client2.yaml", "team")), DEFAULTS).message())
        .isEqualTo("job1.b.party.iflearner.com: party b of job job1 in domain iflearner.com");
    assertThat(HostAdmission.observe(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "team")), DEFAULTS).message())
        .isEqualTo("fashion.server.fl.example.org: server of job fashion in domain fl.example.org");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "CLIENT | job1.server.iflearner.com | HostDoesNotFitRole | spec.role client: host 'job1.server.iflearner.com' does not fit the party role",
      "SERVER | job1.a.party.iflearner.com | HostDoesNotFitRole | spec.role server: host 'job1.a.party.iflearner.com' does not fit the server role",
      "SERVER | kubernetes.default.svc.cluster.local | HostReserved | under the cluster domain cluster.local",
      "SERVER | 10.96.0.1 | HostReserved | IP literal",
      "SERVER | job1.server.example.org. | Accepted | job1.server.example.org: server of job job1",
      "SERVER | bad_label.server.example.org | HostInvalid | bad_label",
      "SERVER | '' | HostInvalid | no host given",
  })
  @DisplayName("each refusal carries its reason and a message naming the role, the host and the rule")
  void refusals(Role role, String host, String reason, String message) {
    Observation o = HostAdmission.observe(job("iflearner/iflearnerjob-server.yaml", role, host), DEFAULTS);
    assertThat(o.reason()).isEqualTo(reason);
    assertThat(o.ready()).isEqualTo(reason.equals("Accepted"));
    assertThat(o.message()).contains(message);
  }

  @Test
  @DisplayName("with an allow-list, another domain is refused as DomainNotAllowed, pointing at --allowed-domain")
  void allowList() {
    HostPolicy policy = HostPolicy.of(List.of(), List.of("fl.example.org"));
    Observation o = HostAdmission.observe(job("iflearner/iflearnerjob-server.yaml", Role.SERVER, "job1.server.iflearner.com"), policy);
    assertThat(o.reason()).isEqualTo("DomainNotAllowed");
    assertThat(o.message()).contains("iflearner.com", "[fl.example.org]", "--allowed-domain");
    assertThat(HostAdmission.observe(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "team")), policy).ready()).isTrue();
  }

  @Test
  @DisplayName("spec.domain must be the host's domain (trailing dot and case aside): otherwise DomainMismatch, and nothing is admitted")
  void domainMismatch() {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/party-a.yaml", "team");
    j.getSpec().setDomain("FL.example.org.");
    assertThat(HostAdmission.observe(new JobModel(j), DEFAULTS).ready()).isTrue();
    j.getSpec().setDomain("other.example");
    JobModel m = new JobModel(j);
    Observation o = HostAdmission.observe(m, DEFAULTS);
    assertThat(o.reason()).isEqualTo("DomainMismatch");
    assertThat(o.message()).contains("other.example", "fl.example.org");
    assertThat(HostAdmission.admitted(m, DEFAULTS)).isEmpty();
  }
}
