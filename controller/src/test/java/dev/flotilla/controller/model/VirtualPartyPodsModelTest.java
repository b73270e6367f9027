package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("spec.virtualPartyPods: one client job making N party pods of K virtual parties each")
class VirtualPartyPodsModelTest {

  /** Party "a" of the Fashion-MNIST sample with K virtual parties in N pods, its template without partition flags. */
  static IflearnerJob party(int k, Integer n) {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/party-a.yaml", "team");
    j.getSpec().setVirtualParties(k);
    j.getSpec().setVirtualPartyPods(n);
    j.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()
        .removeIf(a -> a.startsWith("--partition-index") || a.startsWith("--partition-count"));
    return j;
  }

  private static List<String> args(Pod pod) {
    return pod.getSpec().getContainers().get(0).getArgs();
  }

  private static String mountedSecret(Pod pod) {
    return pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(PodModel.TLS_VOLUME)).findFirst()
        .orElseThrow().getSecret().getSecretName();
  }

  @Test
  @DisplayName("3 pods of 5: <job>-p0..p2, pod i trains parts 5i..5i+4 of 15, each with its own host identity and Secret")
  void threePodsOfFive() {
    JobModel job = new JobModel(party(5, 3));
    List<JobModel> pods = job.pods();
    assertThat(pods).extracting(JobModel::podName)
        .containsExactly("fashion-party-a-p0", "fashion-party-a-p1", "fashion-party-a-p2");
    assertThat(pods).extracting(JobModel::tlsSecretName)
        .containsExactly("fashion-party-a-p0-tls", "fashion-party-a-p1-tls", "fashion-party-a-p2-tls");
    assertThat(pods).extracting(JobModel::identityUri).containsExactly(
        "spiffe://fl.example.org/job/fashion/party/a-p0/virtual/5",
        "spiffe://fl.example.org/job/fashion/party/a-p1/virtual/5",
        "spiffe://fl.example.org/job/fashion/party/a-p2/virtual/5");
    for (int i = 0; i < 3; i++) {
      Pod pod = PodModel.desired(pods.get(i));
      assertThat(pod.getMetadata().getName()).isEqualTo("fashion-party-a-p" + i);
      assertThat(args(pod)).containsOnlyOnce("--virtual-parties=5", "--partition-index=" + 5 * i, "--partition-count=15");
      assertThat(mountedSecret(pod)).isEqualTo("fashion-party-a-p" + i + "-tls");
      assertThat(CertificateModel.leafRequest(pods.get(i)).identity()).isEqualTo(pods.get(i).identity());
    }
    assertThat(pods.get(1).identity().coversVirtualParty("a-p1-v4")).isTrue();
    assertThat(pods.get(1).identity().coversVirtualParty("a-p0-v4")).isFalse();
    assertThat(pods.get(1).identity().coversVirtualParty("a-p1-v5")).isFalse();
    // the pods differ in what they run, so each has a template hash of its own
    assertThat(PodModel.desired(pods.get(0)).getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION))
        .isNotEqualTo(PodModel.desired(pods.get(1)).getMetadata().getAnnotations().get(PodModel.TEMPLATE_HASH_ANNOTATION));
  }

  @Test
  @DisplayName("the aggregator's allow-list names all N*K virtual parties of the job, pod by pod")
  void allowList() {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    server.getSpec().setVirtualParties(2);
    assertThat(PartiesModel.parties(new JobModel(server), List.of(party(2, 3)), HostPolicy.defaults(), () -> ClaimProof.NONE))
        .containsExactly("a-p0-v0", "a-p0-v1", "a-p1-v0", "a-p1-v1", "a-p2-v0", "a-p2-v1");
  }

  @Test
  @DisplayName("one pod asked for is still a party pod: <job>-p0, host a-p0, parts 0..K-1 of K")
  void onePod() {
    List<JobModel> pods = new JobModel(party(4, 1)).pods();
    assertThat(pods).extracting(JobModel::podName).containsExactly("fashion-party-a-p0");
    assertThat(args(PodModel.desired(pods.get(0))))
        .contains("--virtual-parties=4", "--partition-index=0", "--partition-count=4");
  }

  @Test
  @DisplayName("without the field a job is its one pod <job>, with its Secret <job>-tls, as before")
  void unset() {
    JobModel job = new JobModel(party(5, null));
    assertThat(job.podIndexed()).isFalse();
    assertThat(job.pods()).containsExactly(job);
    assertThat(job.podName()).isEqualTo("fashion-party-a");
    assertThat(job.tlsSecretName()).isEqualTo("fashion-party-a-tls");
    assertThat(args(PodModel.desired(job))).noneMatch(a -> a.startsWith("--partition-"));
  }

  @Test
  @DisplayName("the field means nothing on a server or an iflearner image: one pod, no partition flags")
  void ignoredWhereItCannotApply() {
    IflearnerJob server = Samples.load("flotilla-fashion-mnist/server.yaml", "team");
    server.getSpec().setVirtualParties(5);
    server.getSpec().setVirtualPartyPods(3);
    assertThat(new JobModel(server).pods()).extracting(JobModel::podName).containsExactly("fashion-server");
    IflearnerJob iflearner = party(5, 3);
    iflearner.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("iflearner/client:0.1");
    assertThat(new JobModel(iflearner).pods()).extracting(JobModel::podName).containsExactly("fashion-party-a");
  }

  @Test
  @DisplayName("stale pod Secrets: <job>-p<i>-tls beyond N, all of them once the field is gone, <job>-tls while it is set; "
      + "never another object's Secret or one still mounted")
  void staleTlsSecrets() {
    List<String> owned = List.of("fashion-party-a-tls", "fashion-party-a-p0-tls", "fashion-party-a-p1-tls",
        "fashion-party-a-p2-tls", "fashion-party-a-ingress-client", "fashion-party-a-p1x-tls", "fashion-party-a-p01-tls",
        "fashion-party-a-p1-tls-old");
    JobModel two = new JobModel(party(5, 2));
    List<String> mounted = two.pods().stream().map(JobModel::tlsSecretName).toList();
    assertThat(VirtualPartiesModel.staleTlsSecrets(two, owned, mounted))
        .containsExactly("fashion-party-a-p2-tls", "fashion-party-a-tls");
    JobModel unset = new JobModel(party(5, null));
    assertThat(VirtualPartiesModel.staleTlsSecrets(unset, owned, List.of(unset.tlsSecretName())))
        .containsExactly("fashion-party-a-p0-tls", "fashion-party-a-p1-tls", "fashion-party-a-p2-tls");
    // an enrolled identity mounted instead: none of the job's own certificates stays
    assertThat(VirtualPartiesModel.staleTlsSecrets(unset, owned, List.of())).hasSize(4);
  }
}
