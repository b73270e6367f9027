package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RelatedJobsTest {

  private static IflearnerJob job(String sample, String namespace, String name, String host) {
    IflearnerJob j = Samples.load(sample, namespace);
    j.getMetadata().setName(name);
    j.getSpec().setHost(host);
    return j;
  }

  private static final IflearnerJob SERVER = job("flotilla-fashion-mnist/server.yaml", "team", "mnist-server", "mnist.server.fl.example.org");
  private static final IflearnerJob OTHER_SERVER = job("flotilla-fashion-mnist/server.yaml", "team", "cifar-server", "cifar.server.fl.example.org");
  private static final IflearnerJob FOREIGN_SERVER = job("flotilla-fashion-mnist/server.yaml", "elsewhere", "mnist-server", "mnist.server.fl.example.org");
  private static final IflearnerJob PARTY_A = job("flotilla-fashion-mnist/party-a.yaml", "team", "mnist-party-a", "mnist.a.party.fl.example.org");
  private static final IflearnerJob SAME_HOST = job("flotilla-fashion-mnist/party-a.yaml", "other", "copy", "mnist.a.party.fl.example.org");
  private static final List<IflearnerJob> ALL = List.of(SERVER, OTHER_SERVER, FOREIGN_SERVER, PARTY_A, SAME_HOST);

  @Test
  @DisplayName("a party job relates to its job's server in its own namespace and to every job with the same host, never to itself")
  void partyRelations() {
    assertThat(RelatedJobs.of(PARTY_A, ALL)).containsExactly("other/copy", "team/mnist-server");
  }

  @Test
  @DisplayName("a server relates to jobs with its host in other namespaces (one may wait for the name), not to its parties")
  void serverRelations() {
    assertThat(RelatedJobs.of(SERVER, ALL)).containsExactly("elsewhere/mnist-server");
    assertThat(RelatedJobs.of(OTHER_SERVER, ALL)).isEmpty();
  }

  @Test
  @DisplayName("a job without a host or with an invalid host relates to nothing")
  void noHost() {
    assertThat(RelatedJobs.of(job("flotilla-fashion-mnist/party-a.yaml", "team", "x", null), ALL)).isEmpty();
    assertThat(RelatedJobs.of(job("flotilla-fashion-mnist/party-a.yaml", "team", "x", "bad_host.a.party.fl.example.org"), ALL)).isEmpty();
  }
}
