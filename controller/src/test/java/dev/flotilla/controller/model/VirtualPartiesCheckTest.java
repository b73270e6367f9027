package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("VirtualPartiesCheck: a template or spec the virtual-party runtime would refuse is refused at reconcile")
class VirtualPartiesCheckTest {

  private static IflearnerJob party(int k, Integer n) {
    return VirtualPartyPodsModelTest.party(k, n);
  }

  private static List<String> args(IflearnerJob job) {
    return job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
  }

  private static Observation refusal(IflearnerJob job) {
    Observation o = VirtualPartiesCheck.observe(new JobModel(job));
    assertThat(o).isNotNull();
    assertThat(o.type()).isEqualTo(StatusModel.VIRTUAL_PARTIES_ACCEPTED);
    assertThat(o.ready()).as(o.message()).isFalse();
    assertThat(o.reason()).isEqualTo(VirtualPartiesCheck.INVALID);
    return o;
  }

  @Test
  @DisplayName("a template's --virtual-parties=3 against spec.virtualParties 5 is refused, naming both")
  void virtualPartiesContradicted() {
    IflearnerJob job = party(5, null);
    args(job).add("--virtual-parties=3");
    assertThat(refusal(job).message()).isEqualTo("spec.template passes --virtual-parties=3 but spec.virtualParties 5 gives "
        + "--virtual-parties=5: remove the flag from the template, the controller sets it");
    args(job).set(args(job).size() - 1, "--virtual-parties");
    args(job).add("5");
    assertThat(VirtualPartiesCheck.observe(new JobModel(job)).ready()).isTrue();
  }

  @Test
  @DisplayName("a partition flag in the template of a job of N pods is refused, naming the pod it contradicts")
  void partitionContradicted() {
    IflearnerJob job = party(5, 2);
    args(job).add("--partition-index=0");
    args(job).add("--partition-count=10");
    assertThat(refusal(job).message()).isEqualTo("spec.template passes --partition-index=0 but spec.virtualPartyPods 2 "
        + "with spec.virtualParties 5 gives --partition-index=5 to pod fashion-party-a-p1: remove the flag from the "
        + "template, the controller sets it");
    args(job).remove("--partition-index=0");
    assertThat(VirtualPartiesCheck.observe(new JobModel(job)).ready()).as("the same count is no contradiction").isTrue();
    args(job).set(args(job).size() - 1, "--partition-count=12");
    assertThat(refusal(job).message()).startsWith("spec.template passes --partition-count=12 but spec.virtualPartyPods 2 "
        + "with spec.virtualParties 5 gives --partition-count=10");
  }

  @Test
  @DisplayName("without spec.virtualPartyPods the template's partition flags are its own, as before")
  void partitionOfOnePodJob() {
    IflearnerJob job = party(5, null);
    args(job).add("--partition-index=5");
    args(job).add("--partition-count=10");
    assertThat(VirtualPartiesCheck.observe(new JobModel(job)).message())
        .isEqualTo("pod fashion-party-a hosts 5 virtual parties, a-v0 .. a-v4");
  }

  @Test
  @DisplayName("--virtual-parties on a party whose spec hosts none is refused (its certificate names one party); 0 is none")
  void flagWithoutSpec() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/party-a.yaml", "team");
    assertThat(VirtualPartiesCheck.observe(new JobModel(job))).isNull();
    args(job).add("--virtual-parties=0");
    assertThat(VirtualPartiesCheck.observe(new JobModel(job))).isNull();
    args(job).add("--virtual-parties=4");
    assertThat(refusal(job).message()).isEqualTo("spec.template passes --virtual-parties=4 but spec.virtualParties is "
        + "unset (one party per pod): set spec.virtualParties or remove the flag");
  }

  @Test
  @DisplayName("a server's --virtual-parties-per-host against spec.virtualParties is refused")
  void server() {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    server.getSpec().setVirtualParties(5);
    server.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--virtual-parties-per-host=2");
    assertThat(refusal(server).message()).startsWith("spec.template passes --virtual-parties-per-host=2 but "
        + "spec.virtualParties 5 gives --virtual-parties-per-host=5");
  }

  @Test
  @DisplayName("spec.virtualPartyPods where it cannot apply, or beyond the bounds, is refused with each reason")
  void specRefusals() {
    IflearnerJob noK = Samples.load("flotilla-fashion-mnist/party-a.yaml", "team");
    noK.getSpec().setVirtualPartyPods(2);
    assertThat(refusal(noK).message()).isEqualTo("spec.virtualPartyPods 2 needs spec.virtualParties (the virtual parties "
        + "of each pod)");
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    server.getSpec().setVirtualParties(5);
    server.getSpec().setVirtualPartyPods(2);
    assertThat(refusal(server).message()).isEqualTo("spec.virtualPartyPods is for client jobs, not a server");
    assertThat(refusal(party(200, 51)).message()).isEqualTo("spec.virtualPartyPods 51 x spec.virtualParties 200 = 10200 "
        + "virtual parties, more than 10000");
    assertThat(refusal(party(5, 101)).message()).startsWith("spec.virtualPartyPods must be in 1..100, got 101");
    IflearnerJob peer = party(5, 2);
    peer.getSpec().setPeer(new PeerSpec());
    assertThat(refusal(peer).message()).contains("spec.virtualPartyPods cannot go with spec.peer");
    IflearnerJob iflearner = party(5, 2);
    iflearner.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("iflearner/client:0.1");
    assertThat(refusal(iflearner).message()).contains("spec.virtualPartyPods needs a Flotilla image, not iflearner/client:0.1");
  }

  @Test
  @DisplayName("a host name whose last virtual party would be no DNS label is refused before any certificate")
  void longName() {
    IflearnerJob job = party(10000, 1);
    job.getSpec().setHost("fashion." + "a".repeat(55) + ".party.fl.example.org");
    assertThat(refusal(job).message()).startsWith("spec.host: virtual party name '" + "a".repeat(55) + "-p0-v9999' is no DNS label");
  }

  @Test
  @DisplayName("a hostile flag value is quoted cut")
  void hostileValue() {
    IflearnerJob job = party(5, null);
    args(job).add("--virtual-parties=" + "9".repeat(5000));
    assertThat(refusal(job).message()).contains("--virtual-parties=" + "9".repeat(VirtualPartiesCheck.MAX_QUOTED) + "... but")
        .hasSizeLessThan(300);
  }

  @Test
  @DisplayName("an accepted job of N pods says what it hosts")
  void accepted() {
    Observation o = VirtualPartiesCheck.observe(new JobModel(party(5, 3)));
    assertThat(o.ready()).isTrue();
    assertThat(o.message()).isEqualTo("3 pods fashion-party-a-p0 .. fashion-party-a-p2 host 5 virtual parties each, "
        + "15 in all, a-p0-v0 .. a-p2-v4");
  }
}
