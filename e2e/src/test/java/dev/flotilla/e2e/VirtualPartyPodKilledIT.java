package dev.flotilla.e2e;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.protocol.options.ServerOptions;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job split over party pods as Kubernetes runs it, on one machine: three party processes (the party jar, each
 * hosting four virtual parties on its own host certificate) against a real aggregator process over mutual TLS,
 * training Fashion-MNIST. One pod is killed mid-round and started again, as the kubelet restarts a container.
 */
@RequiresRealServers(FASHION_MNIST)
@DisplayName("Virtual parties in three party processes; one process killed mid-job")
class VirtualPartyPodKilledIT {

  static final int HOSTS = 3;
  static final int PER_HOST = 4;
  static final int PARTIES = HOSTS * PER_HOST;
  static final int ROUNDS = 6; // the restarted process may miss a round or two more while it starts (JVM, libtorch, data)
  static final String VICTIM = "pod-c";

  @Test
  @DisplayName("the server sees all 12 virtual parties of the 3 processes; killing one process drops its 4 parties "
      + "from the rounds it is down only, the round in flight completes with the other 8, the restarted process's "
      + "parties train in every round from their return, and the model reaches 0.6 on the held-out test set")
  void killedPodLosesItsPartiesWhileItIsDown(@TempDir Path dir) {
    LocalFederation.Settings settings = Federations.settings()
        .jobId("pods")
        .parties(PARTIES)
        .minParties(PARTIES - PER_HOST)
        .rounds(ROUNDS)
        .batchSize(64)
        .roundTimeout(Duration.ofMinutes(10))
        .serverArg(ServerOptions.VIRTUAL_PARTIES_PER_HOST.flag(), Integer.toString(PER_HOST));
    try (LocalFederation federation = LocalFederation.prepare(settings, Federations.jars(), dir)) {
      federation.startServer();
      federation.awaitServerListening(Duration.ofMinutes(3));
      List<ChildProcess> hosts = new ArrayList<>();
      for (int h = 0; h < HOSTS; h++) {
        hosts.add(federation.startVirtualPartyHost(podName(h), PER_HOST, h * PER_HOST));
      }
      List<String> all = names(0, HOSTS);
      List<String> victims = names(HOSTS - 1, HOSTS);
      List<String> survivors = names(0, HOSTS - 1);

      JobStatus beforeKill = Federations.awaitStatus(federation, "a first round completed",
          s -> s.roundsCompleted() >= 1, Duration.ofMinutes(10));
      ChildProcess victim = hosts.get(HOSTS - 1);
      victim.kill();
      // the round in flight when the process died (a round completing between the status read and the kill
      // only moves it on by one; the record tells which round lost the parties)
      int killRound = beforeKill.roundsCompleted() + 1;
      assertThat(killRound).as("the job must still run when the pod is killed").isLessThan(ROUNDS);
      Federations.awaitStatus(federation, "the round in flight at the kill completed",
          s -> s.roundsCompleted() >= killRound, Duration.ofMinutes(10));
      ChildProcess restarted = federation.startVirtualPartyHost(VICTIM, PER_HOST, (HOSTS - 1) * PER_HOST);

      JobStatus done = Federations.awaitFinished(federation, Duration.ofMinutes(20), victim);
      String record = StatusJson.write(done);
      assertThat(done.roundsCompleted()).isEqualTo(ROUNDS);
      assertThat(done.parties()).as(record).containsExactlyInAnyOrderElementsOf(all);
      assertThat(done.rounds().get(0).parties()).as("round 1: every virtual party of every process")
          .containsExactlyInAnyOrderElementsOf(all);
      for (RoundRecord round : done.rounds()) {
        assertThat(round.parties()).as("round %d: the other processes' parties are unaffected", round.round())
            .containsAll(survivors);
      }
      // the round in flight went on without the dead process's parties that had not submitted yet; each is
      // reported as dropped (not late), and at least one was still training when the process died
      RoundRecord lost = roundWithDroppedVictims(done, victims, killRound);
      assertThat(lost.parties()).as("round %d", lost.round()).containsAll(survivors);
      for (String name : victims) {
        if (!lost.parties().contains(name)) {
          assertThat(lost.lateOrDropped()).as("round %d: %s", lost.round(), record).containsEntry(name, "dropped");
        }
      }
      // ... for the rounds the process was down only: once they are back in a round, they are in every later one
      // (the round that started while the process was restarting may go without them too)
      int back = lost.round();
      while (back < ROUNDS && !done.rounds().get(back).parties().containsAll(all)) {
        back++;
      }
      assertThat(back).as("a round after the restart with all 12: %s", record).isLessThan(ROUNDS);
      for (RoundRecord round : done.rounds().subList(back, ROUNDS)) {
        assertThat(round.parties()).as("round %d, after the restarted process's parties came back", round.round())
            .containsExactlyInAnyOrderElementsOf(all);
      }
      assertThat(restarted.log()).contains("hosting " + PER_HOST + " virtual parties");
      assertThat(federation.server().log()).contains("party " + VICTIM + "-v0 rejoined");

      assertThat(done.finalAccuracy()).as(record).isNotNull();
      assertThat(done.finalAccuracy()).as("final accuracy on the held-out test set").isGreaterThan(0.6);
      System.out.println("N-pod kill: parties per round " + done.rounds().stream().map(r -> r.parties().size()).toList()
          + ", accuracy per round " + done.accuracyPerRound() + ", final " + done.finalAccuracy()
          + ", victims dropped in round " + lost.round());
    }
  }

  /** The first round from {@code killRound} on that lacks a victim; fails if there is none. */
  private static RoundRecord roundWithDroppedVictims(JobStatus done, List<String> victims, int killRound) {
    return done.rounds().stream()
        .filter(r -> r.round() >= killRound && victims.stream().anyMatch(v -> !r.parties().contains(v)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no round lost a party of " + VICTIM + " after the kill: "
            + StatusJson.write(done)));
  }

  private static String podName(int host) {
    return "pod-" + (char) ('a' + host);
  }

  /** The virtual party names of hosts {@code from} .. {@code to - 1}. */
  private static List<String> names(int from, int to) {
    List<String> names = new ArrayList<>();
    for (int h = from; h < to; h++) {
      for (int i = 0; i < PER_HOST; i++) {
        names.add(podName(h) + "-v" + i);
      }
    }
    return names;
  }
}
