package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.DnsSpec;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.EventRecorder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@DisplayName("DnsStep: the job's CoreDNS record, after its route")
class DnsStepTest {

  KubernetesClient client;

  DnsStep step(RouteStep route) {
    return new DnsStep(client, ControllerConfig.defaults(), new EventRecorder(client, Clock.systemUTC()), route);
  }

  RouteStep route() {
    ChildApplier applier = new ChildApplier(client);
    return new RouteStep(new ServiceStep(applier), List.of(new IngressRoute(client, applier)));
  }

  @Test
  @DisplayName("a name's holder is named within the namespace, left unnamed across namespaces, and named when written outside the controller")
  void holderWording() {
    assertThat(DnsStep.holder("iflearnerjob/team/first", "team")).isEqualTo("by job first of this namespace");
    assertThat(DnsStep.holder("iflearnerjob/other-team/first", "team")).isEqualTo("by a job in another namespace");
    assertThat(DnsStep.holder("iflearnerjob/team-b/first", "team")).isEqualTo("by a job in another namespace");
    assertThat(DnsStep.holder("cli", "team")).contains("'cli'", "outside the controller");
  }

  @Test
  @DisplayName("it needs the job's route: a name is published only for a routed host; its condition is DNSReady")
  void needsTheRoute() {
    RouteStep route = route();
    DnsStep dns = step(route);
    JobModel job = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    assertThat(dns.needs(job)).containsExactly(route);
    assertThat(dns.conditionType(job)).isEqualTo("DNSReady");
    assertThat(dns.failureReason(job)).isEqualTo("DNSFailed");
  }

  @Test
  @DisplayName("no address known: DNSReady=False NoIngressAddress naming both ways to get one, and nothing written")
  void noAddress() {
    JobModel job = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    Observation o = step(route()).reconcile(StepFixtures.context(job));
    assertThat(o.type()).isEqualTo("DNSReady");
    assertThat(o.ready()).isFalse();
    assertThat(o.reason()).isEqualTo("NoIngressAddress");
    assertThat(o.message()).contains("fashion.server.fl.example.org", "--ingress-address", "Ingress status");
    assertThat(client.configMaps().inAnyNamespace().list().getItems()).isEmpty();
  }

  @Test
  @DisplayName("DNS switched off on a job without the finalizer: DNSReady=True Disabled, nothing written")
  void disabled() {
    JobModel job = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    job.spec().setDns(new DnsSpec(false, null));
    Observation o = step(route()).reconcile(StepFixtures.context(job, "10.1.2.3"));
    assertThat(o).isEqualTo(new Observation("DNSReady", true, "Disabled", "spec.dns.enabled is false"));
    assertThat(client.configMaps().inAnyNamespace().list().getItems()).isEmpty();
  }
}
