package dev.flotilla.simulator;

import dev.flotilla.party.virtual.ModelFetchGate;
import dev.flotilla.party.virtual.TrainerPool;
import dev.flotilla.party.virtual.VirtualTrainer;

import dev.flotilla.party.train.scaffold.ScaffoldTrainer;

import dev.flotilla.certs.Identity;
import dev.flotilla.party.client.FederationSession;
import dev.flotilla.party.client.PartyIdentity;
import dev.flotilla.party.client.PartyRunner;
import dev.flotilla.party.client.RunnerSettings;
import dev.flotilla.party.train.TrainingOptions;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The virtual parties: each is the deployed party's own {@link PartyRunner} (join, Rounds stream,
 * model download, update upload, final evaluation) on a thread of its own, over an in-process channel
 * to the simulation's aggregator, training with a {@link VirtualTrainer}. A party thread mostly waits
 * on its Rounds stream; the training work is bounded by the {@link TrainerPool}.
 */
final class VirtualParties implements AutoCloseable {

  /** How long a virtual party waits for an aggregator that went away before it gives up. */
  private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);

  private final List<PartyRunner> runners = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, Throwable> failures = new ConcurrentHashMap<>();
  private final SpillingControlVariates controlVariates;

  /**
   * What the virtual parties keep between rounds: the trained updates not yet accepted (values, per
   * party that keeps one) and the SCAFFOLD control variates (on the heap up to their budget, else on disk).
   */
  record Retained(Map<String, Long> updateValues, long controlVariateBytes, int controlVariatesInMemory,
      int controlVariatesOnDisk) {}

  static String name(int index) {
    return "party-" + (index + 1);
  }

  /** Starts one runner per party of {@code data}. */
  VirtualParties(String serverName, String trustDomain, String jobId, VirtualData data, TrainerPool pool,
      String model, TrainingOptions training, int localEpochs, SpillingControlVariates controlVariates) {
    this.controlVariates = controlVariates;
    // a fetched model is held until a pooled trainer is free: at most two a trainer wait at once
    ModelFetchGate fetches = new ModelFetchGate(2 * pool.slots());
    for (int p = 0; p < data.partyTrain().size(); p++) {
      String name = name(p);
      RunnerSettings settings = new RunnerSettings(model, localEpochs, training.batchSize(), training.learningRate(),
          training.momentum(), training.weightDecay(), data.seed(), p, FederationSession.Deadlines.defaults(),
          Duration.ofMillis(200), Duration.ofSeconds(5), GIVE_UP_AFTER);
      VirtualTrainer trainer = new VirtualTrainer(name, data.partyTrain().get(p), data.partyTest().get(p), pool,
          data.seed(), fetches, false);
      PartyRunner runner = new PartyRunner(settings,
          () -> InProcessChannelBuilder.forName(serverName).intercept(InProcessIdentity.as(name), fetches).build(),
          new ScaffoldTrainer(trainer, controlVariates), PartyIdentity.inProcess(Identity.party(trustDomain, jobId, name)), Clock.systemUTC());
      runners.add(runner);
      Thread thread = new Thread(() -> {
        // the runner's log fields are process-wide (one party a process); here each party thread names its own
        org.slf4j.MDC.put(dev.flotilla.common.logging.LogContext.ROLE, dev.flotilla.common.logging.LogContext.ROLE_PARTY);
        org.slf4j.MDC.put(dev.flotilla.common.logging.LogContext.JOB, jobId);
        org.slf4j.MDC.put(dev.flotilla.common.logging.LogContext.PARTY, name);
        try {
          runner.run();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
          failures.put(name, e);
        }
      }, name);
      thread.setDaemon(true);
      threads.add(thread);
    }
  }

  void start() {
    threads.forEach(Thread::start);
  }

  /** Waits for every party to end (after the job's Finished), at most {@code timeout} in all. */
  void awaitEnd(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
  }

  Retained retained() {
    Map<String, Long> updates = new java.util.TreeMap<>();
    for (int p = 0; p < runners.size(); p++) {
      long values = runners.get(p).retainedUpdateValues();
      if (values > 0) {
        updates.put(name(p), values);
      }
    }
    return new Retained(updates, controlVariates.bytesInMemory(), controlVariates.partiesInMemory(),
        controlVariates.partiesOnDisk());
  }

  /** The parties that stopped with an error, and why. */
  Map<String, Throwable> failures() {
    return Map.copyOf(failures);
  }

  @Override
  public void close() throws InterruptedException {
    runners.forEach(PartyRunner::stop);
    for (Thread t : threads) {
      t.join(10_000);
    }
  }
}
