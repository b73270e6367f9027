package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("spec.virtualParties: party pods hosting K virtual parties, and the aggregator that admits them")
class VirtualPartiesModelTest {

  private static IflearnerJob party(Integer virtualParties) {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/party-a.yaml", "team");
    j.getSpec().setVirtualParties(virtualParties);
    return j;
  }

  private static IflearnerJob server(Integer virtualParties) {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    j.getSpec().setVirtualParties(virtualParties);
    return j;
  }

  private static List<String> args(IflearnerJob job) {
    Pod pod = PodModel.desired(new JobModel(job));
    return pod.getSpec().getContainers().get(0).getArgs();
  }

  @Test
  @DisplayName("a client job with virtualParties 5: its runtime gets --virtual-parties=5 and its certificate the host "
      + "identity that covers a-v0 .. a-v4")
  void client() {
    JobModel job = new JobModel(party(5));
    assertThat(args(party(5))).containsOnlyOnce("--virtual-parties=5").contains("--partition-index=0");
    assertThat(job.identity().uri()).isEqualTo("spiffe://fl.example.org/job/fashion/party/a/virtual/5");
    assertThat(job.identity().coversVirtualParty("a-v4")).isTrue();
    assertThat(job.identity().coversVirtualParty("a-v5")).isFalse();
    assertThat(CertificateModel.leafRequest(job).identity()).isEqualTo(job.identity());
  }

  @Test
  @DisplayName("a server job with virtualParties 5: the aggregator gets --virtual-parties-per-host=5")
  void server() {
    assertThat(args(server(5))).containsOnlyOnce("--virtual-parties-per-host=5").doesNotContain("--virtual-parties=5");
  }

  @Test
  @DisplayName("old manifests are built as before: no flag, a plain party identity")
  void unset() {
    assertThat(args(party(null))).noneMatch(a -> a.startsWith("--virtual-parties"));
    assertThat(args(server(null))).noneMatch(a -> a.startsWith("--virtual-parties"));
    assertThat(new JobModel(party(null)).identity().uri()).isEqualTo("spiffe://fl.example.org/job/fashion/party/a");
    assertThat(PodModel.desired(new JobModel(party(null)))).isEqualTo(PodModel.desired(new JobModel(
        Samples.load("flotilla-fashion-mnist/party-a.yaml", "team"))));
  }

  @Test
  @DisplayName("a template that passes the flag itself with the same value has it once")
  void templateWins() {
    IflearnerJob job = party(5);
    job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--virtual-parties=5");
    assertThat(args(job)).containsOnlyOnce("--virtual-parties=5");
  }

  @Test
  @DisplayName("the aggregator's allow-list names a host's virtual parties, not the host")
  void allowList() {
    JobModel server = new JobModel(server(5));
    IflearnerJob b = party(null);
    b.getMetadata().setName("fashion-party-b");
    b.getSpec().setHost("fashion.b.party.fl.example.org");
    assertThat(PartiesModel.parties(server, List.of(party(3), b), HostPolicy.defaults(), () -> ClaimProof.NONE))
        .containsExactly("a-v0", "a-v1", "a-v2", "b");
  }

  @Test
  @DisplayName("an iflearner image knows no virtual parties: nothing is added, the identity stays plain")
  void iflearnerImage() {
    IflearnerJob job = party(5);
    job.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("iflearner/client:0.1");
    assertThat(new JobModel(job).identity().isVirtualPartyHost()).isFalse();
    assertThat(args(job)).noneMatch(a -> a.startsWith("--virtual-parties"));
  }
}
