package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("pods that run: restart policy, termination message, the aggregator's state volume, host aliases")
class PodRuntimeDefaultsTest {

  /** The fashion server without restartPolicy and --state-dir (and its state volume), as a user might write it. */
  static JobModel bareServer() {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().getTemplate().getSpec().setRestartPolicy(null);
    job.getSpec().getTemplate().getSpec().setVolumes(new ArrayList<>());
    Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    c.setVolumeMounts(new ArrayList<>());
    c.setArgs(c.getArgs().stream().filter(a -> !a.startsWith("--state-dir")).toList());
    return new JobModel(job);
  }

  @Test
  @DisplayName("a template without restartPolicy gets OnFailure; an explicit one (iflearner's Never) is kept")
  void restartPolicy() {
    assertThat(PodModel.desired(bareServer()).getSpec().getRestartPolicy()).isEqualTo("OnFailure");
    assertThat(PodModel.desired(new JobModel(Samples.load("iflearner/iflearnerjob-server.yaml", "fl"))).getSpec().getRestartPolicy())
        .isEqualTo("OnFailure");
    assertThat(PodModel.desired(new JobModel(Samples.load("iflearner/iflearnerjob-client1.yaml", "fl"))).getSpec().getRestartPolicy())
        .isEqualTo("Never");
  }

  @Test
  @DisplayName("the runtime container falls back to its log's end as termination message; the template's choice wins")
  void terminationMessagePolicy() {
    assertThat(PodModel.desired(bareServer()).getSpec().getContainers().get(0).getTerminationMessagePolicy())
        .isEqualTo("FallbackToLogsOnError");
    IflearnerJob job = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
    job.getSpec().getTemplate().getSpec().getContainers().get(0).setTerminationMessagePolicy("File");
    assertThat(PodModel.desired(new JobModel(job)).getSpec().getContainers().get(0).getTerminationMessagePolicy()).isEqualTo("File");
  }

  @Test
  @DisplayName("a Flotilla aggregator without --state-dir gets an emptyDir at /var/lib/flotilla/state and the flag; "
      + "every aggregator writes its summary to /dev/termination-log")
  void serverState() {
    Pod pod = PodModel.desired(bareServer());
    Container c = pod.getSpec().getContainers().get(0);
    assertThat(c.getArgs()).contains("--state-dir=/var/lib/flotilla/state", "--termination-message=/dev/termination-log");
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("flotilla-state");
      assertThat(m.getMountPath()).isEqualTo("/var/lib/flotilla/state");
    });
    assertThat(pod.getSpec().getVolumes()).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("flotilla-state");
      assertThat(v.getEmptyDir()).isNotNull();
    });
    // the shipped sample names its own --state-dir and volume: nothing added but the termination message
    Pod sample = PodModel.desired(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl")));
    assertThat(sample.getSpec().getContainers().get(0).getArgs()).filteredOn(a -> a.startsWith("--state-dir")).containsExactly(
        "--state-dir=/var/lib/flotilla/state");
    assertThat(sample.getSpec().getVolumes()).noneMatch(v -> v.getName().equals("flotilla-state"));
    assertThat(sample.getSpec().getContainers().get(0).getArgs()).contains("--termination-message=/dev/termination-log");
  }

  @Test
  @DisplayName("parties and other images get neither a state volume nor --termination-message")
  void onlyFlotillaAggregators() {
    for (String sample : List.of("flotilla-fashion-mnist/party-a.yaml", "iflearner/iflearnerjob-server.yaml")) {
      Pod pod = PodModel.desired(new JobModel(Samples.load(sample, "fl")));
      assertThat(pod.getSpec().getContainers().get(0).getArgs()).as(sample)
          .noneMatch(a -> a.startsWith("--termination-message") || a.startsWith("--state-dir"));
    }
  }

  @Test
  @DisplayName("with an address, a party's pod resolves its own host and its job's server host there; without, no aliases")
  void hostAliases() {
    JobModel party = new JobModel(Samples.load("flotilla-fashion-mnist/party-b.yaml", "fl"));
    List<HostAlias> aliases = PodModel.desired(party, "10.88.0.1").getSpec().getHostAliases();
    assertThat(aliases).singleElement().satisfies(a -> {
      assertThat(a.getIp()).isEqualTo("10.88.0.1");
      assertThat(a.getHostnames()).containsExactly("fashion.b.party.fl.example.org", "fashion.server.fl.example.org");
    });
    assertThat(PodModel.desired(party).getSpec().getHostAliases()).isNullOrEmpty();
    assertThat(HostAliasesModel.aliases(new JobModel(Samples.load("flotilla-fashion-mnist/server.yaml", "fl")), "10.88.0.1"))
        .singleElement().satisfies(a -> assertThat(a.getHostnames()).containsExactly("fashion.server.fl.example.org"));
  }

  @Test
  @DisplayName("host aliases are the DNS records: none when the job switches DNS off, an IPv6 address canonical as in CoreDNS")
  void aliasesAreTheRecords() {
    IflearnerJob off = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
    off.getSpec().setDns(new dev.flotilla.controller.api.DnsSpec());
    off.getSpec().getDns().setEnabled(false);
    assertThat(HostAliasesModel.aliases(new JobModel(off), "10.88.0.1")).isEmpty();
    JobModel party = new JobModel(Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl"));
    assertThat(HostAliasesModel.aliases(party, "fd00:0:0::1")).singleElement()
        .satisfies(a -> assertThat(a.getIp()).isEqualTo("fd00::1"));
    assertThat(HostAliasesModel.aliases(party, null)).isEmpty();
  }
}
