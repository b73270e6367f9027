package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PodModel;
import dev.flotilla.controller.model.ServiceModel;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ServiceStep: the Service the route points at selects the pod the pod step makes")
class ServiceStepTest {

  static final List<String> SAMPLES = List.of("iflearner/iflearnerjob-server.yaml", "iflearner/iflearnerjob-client1.yaml",
      "flotilla-fashion-mnist/server.yaml", "flotilla-fashion-mnist/party-a.yaml", "flotilla-tabular/server.yaml");

  @Test
  @DisplayName("for every sample: the Service selects the desired pod's labels and serves the gRPC port under the name grpc")
  void selectsThePod() {
    for (String sample : SAMPLES) {
      JobModel job = StepFixtures.model(sample);
      Service service = ServiceStep.desired(job);
      Pod pod = PodModel.desired(job);
      assertThat(pod.getMetadata().getLabels()).as(sample).containsAllEntriesOf(service.getSpec().getSelector());
      assertThat(service.getSpec().getPorts()).as(sample).anySatisfy(p -> {
        assertThat(p.getName()).isEqualTo(ServiceModel.GRPC_PORT_NAME);
        assertThat(p.getPort()).isEqualTo(job.grpcPort());
        assertThat(p.getTargetPort().getIntVal()).isEqualTo(job.grpcPort());
      });
    }
  }

  @Test
  @DisplayName("for every sample: the Ingress routes to this Service by name and to one of its ports")
  void routeMeetsService() {
    for (String sample : SAMPLES) {
      JobModel job = StepFixtures.model(sample);
      Service service = ServiceStep.desired(job);
      Ingress ingress = IngressRoute.desired(job);
      IngressServiceBackend backend = ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService();
      assertThat(backend.getName()).as(sample).isEqualTo(service.getMetadata().getName());
      assertThat(service.getSpec().getPorts()).extracting(ServicePort::getPort).as(sample).contains(backend.getPort().getNumber());
    }
  }

  @Test
  @DisplayName("reports ServiceReady, fails as ServiceFailed, needs no other step")
  void identity() {
    JobModel job = StepFixtures.model("flotilla-fashion-mnist/server.yaml");
    ServiceStep step = new ServiceStep(new ChildApplier(null));
    assertThat(step.conditionType(job)).isEqualTo("ServiceReady");
    assertThat(step.failureReason(job)).isEqualTo("ServiceFailed");
    assertThat(step.needs(job)).isEmpty();
  }
}
