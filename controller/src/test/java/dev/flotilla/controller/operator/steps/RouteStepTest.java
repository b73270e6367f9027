package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.controller.model.IngressModel;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("RouteStep: the job's route through the kind that serves it; the other kinds' routes removed")
class RouteStepTest {

  final ServiceStep service = new ServiceStep(new ChildApplier(null));
  final List<String> calls = new ArrayList<>();

  /** A kind of route that records what it was asked to do. */
  RouteKind kind(String name, Predicate<JobModel> serves) {
    return new RouteKind() {
      @Override
      public boolean serves(JobModel job) {
        return serves.test(job);
      }

      @Override
      public String conditionType() {
        return name + "Ready";
      }

      @Override
      public String failureReason() {
        return name + "Failed";
      }

      @Override
      public Observation apply(JobContext context) {
        calls.add("apply " + name);
        context.routeStatusAddress("192.0.2." + name.length());
        return new Observation(name + "Ready", true, "Applied", name);
      }

      @Override
      public void remove(JobContext context) {
        calls.add("remove " + name);
      }
    };
  }

  @Test
  @DisplayName("the first kind that serves the job applies its route and names the condition; then every other kind removes its own")
  void servingKindApplies() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    RouteStep step = new RouteStep(service, List.of(kind("TLSRoute", j -> j.role().wireName().equals("client")), kind("Ingress", j -> true)));
    assertThat(step.conditionType(server)).isEqualTo("IngressReady");
    assertThat(step.failureReason(server)).isEqualTo("IngressFailed");
    JobContext context = StepFixtures.context(server);
    assertThat(step.reconcile(context).type()).isEqualTo("IngressReady");
    assertThat(calls).containsExactly("apply Ingress", "remove TLSRoute");
    assertThat(context.address().address()).isEqualTo("192.0.2.7");

    calls.clear();
    JobModel party = StepFixtures.model("flotilla-fashion-mnist/party-a.yaml");
    assertThat(step.conditionType(party)).isEqualTo("TLSRouteReady");
    step.reconcile(StepFixtures.context(party));
    assertThat(calls).containsExactly("apply TLSRoute", "remove Ingress");
  }

  @Test
  @DisplayName("a route needs the Service it points at; a step without any kind, or a job no kind serves, is refused")
  void needsAndRefusals() {
    JobModel server = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    RouteStep step = new RouteStep(service, List.of(kind("Ingress", j -> false)));
    assertThat(step.needs(server)).containsExactly(service);
    assertThatThrownBy(() -> step.conditionType(server)).hasMessageContaining("team/fashion-server: no kind of route serves the job");
    assertThatThrownBy(() -> new RouteStep(service, List.of())).hasMessageContaining("at least one kind of route");
  }

  @Test
  @DisplayName("IngressRoute: serves every job today, reports IngressReady, and reads the first IP ingress-nginx published")
  void ingressRoute() {
    IngressRoute ingress = new IngressRoute(null, new ChildApplier(null));
    assertThat(ingress.serves(StepFixtures.model("iflearner/iflearnerjob-server.yaml"))).isTrue();
    assertThat(ingress.conditionType()).isEqualTo("IngressReady");
    assertThat(ingress.failureReason()).isEqualTo("IngressFailed");
    Ingress published = new IngressBuilder(IngressModel.desired(StepFixtures.model("flotilla-fashion-mnist/server.yaml")))
        .withNewStatus().withNewLoadBalancer().addNewIngress().withHostname("lb.example").endIngress()
        .addNewIngress().withIp("192.0.2.9").endIngress().endLoadBalancer().endStatus().build();
    assertThat(IngressRoute.statusAddress(published)).isEqualTo("192.0.2.9");
    assertThat(IngressRoute.statusAddress(IngressModel.desired(StepFixtures.model("flotilla-fashion-mnist/server.yaml")))).isNull();
    assertThat(IngressRoute.statusAddress(null)).isNull();
  }

  @Test
  @DisplayName("IngressRoute: a job without a host gets no Ingress and IngressReady=True NoHost, without asking the API server")
  void noHost() {
    JobModel job = StepFixtures.model("iflearner/iflearnerjob-server.yaml");
    job.spec().setHost(null);
    Observation o = new IngressRoute(null, new ChildApplier(null)).apply(StepFixtures.context(job));
    assertThat(o).isEqualTo(new Observation("IngressReady", true, "NoHost", "spec.host is empty: no Ingress"));
  }
}
