package dev.flotilla.controller.operator.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IsolationSpec;
import dev.flotilla.controller.model.IsolationDefaults;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.NetworkPolicyModel;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("NetworkPolicyStep: the policy around the pod, from the address the earlier steps found")
class NetworkPolicyStepTest {

  final NetworkPolicyStep step = new NetworkPolicyStep(new ChildApplier(null), IsolationDefaults.defaults(), null, null);

  static List<String> cidrs(NetworkPolicy policy) {
    return policy.getSpec().getEgress().stream().flatMap(e -> e.getTo().stream())
        .map(NetworkPolicyPeer::getIpBlock).filter(b -> b != null).map(b -> b.getCidr()).toList();
  }

  @Test
  @DisplayName("the pod may reach the address the route's status published, as a /32")
  void routeStatusAddress() {
    JobModel party = StepFixtures.model("flotilla-fashion-mnist/party-a.yaml");
    JobContext context = StepFixtures.context(party);
    context.routeStatusAddress("192.0.2.7");
    NetworkPolicy policy = step.desired(context);
    assertThat(policy).isEqualTo(NetworkPolicyModel.desired(party, "192.0.2.7", IsolationDefaults.defaults()));
    assertThat(cidrs(policy)).containsExactly("192.0.2.7/32");
  }

  @Test
  @DisplayName("the controller's --ingress-address wins over the route's status; with no address there is no ipBlock")
  void controllerAddressWins() {
    JobModel party = StepFixtures.model("flotilla-fashion-mnist/party-a.yaml");
    JobContext context = StepFixtures.context(party, "10.1.2.3");
    context.routeStatusAddress("192.0.2.7");
    assertThat(cidrs(step.desired(context))).containsExactly("10.1.2.3/32");
    assertThat(cidrs(step.desired(StepFixtures.context(party)))).isEmpty();
  }

  @Test
  @DisplayName("a job that switches isolation off has no policy")
  void off() {
    JobModel party = StepFixtures.model("flotilla-fashion-mnist/party-a.yaml");
    party.spec().setIsolation(new IsolationSpec(false, null));
    assertThat(step.desired(StepFixtures.context(party))).isNull();
  }
}
