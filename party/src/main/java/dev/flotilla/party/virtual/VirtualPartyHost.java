package dev.flotilla.party.virtual;

import dev.flotilla.common.logging.LogContext;
import dev.flotilla.party.client.ChannelFactory;
import dev.flotilla.party.client.PartyIdentity;
import dev.flotilla.party.client.PartyRunner;
import dev.flotilla.party.client.RunnerSettings;
import dev.flotilla.party.data.Partitioner;
import dev.flotilla.party.data.Samples;
import dev.flotilla.party.train.scaffold.ControlVariateStore;
import dev.flotilla.party.train.scaffold.ScaffoldTrainer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One party process hosting K virtual parties of a study (a party pod of a job too big for one machine):
 * each is the deployed party's own {@link PartyRunner} (join, Rounds stream, model download, update upload,
 * final evaluation) as a distinct party {@code <host>-v<i>} to the real aggregator over mutual TLS, on a
 * thread of its own; they share one DJL engine, one in-memory copy of the data set and a
 * {@link TrainerPool}. Virtual party i trains part {@code firstPart + i} of a split of the whole training set
 * into {@code parts} parts, made as the simulator makes it (same partitioner and seed), and evaluates on test
 * shard {@code firstPart + i} of {@code parts} ({@link TestShards}).
 */
public final class VirtualPartyHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VirtualPartyHost.class);

  /**
   * The study's split and this host's place in it.
   *
   * @param count K, the virtual parties of this host
   * @param firstPart the study's part of virtual party 0 (--partition-index)
   * @param parts the study's number of parts, all hosts together (--partition-count)
   */
  public record Placement(int count, int firstPart, int parts, Partitioner partitioner, long seed) {
    public Placement {
      if (count < 1) {
        throw new IllegalArgumentException("a host runs at least one virtual party, got " + count);
      }
      if (firstPart < 0 || parts < 1 || (long) firstPart + count > parts) {
        throw new IllegalArgumentException("virtual parties " + firstPart + " .. " + ((long) firstPart + count - 1)
            + " do not fit in --partition-count " + parts + ": with --virtual-parties " + count
            + ", --partition-index must be in 0.." + Math.max(0, parts - count));
      }
    }
  }

  private final List<String> names = new ArrayList<>();
  private final List<PartyRunner> runners = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, Double> accuracies = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Throwable> failures = new java.util.concurrent.ConcurrentHashMap<>();
  private final TrainerPool pool;

  /**
   * Splits {@code train} as the placement says and makes one runner per virtual party.
   *
   * @param host the host's identity (a virtual-party host certificate for exactly {@code placement.count()})
   * @param channels the host's channel to the aggregator, as virtual party NAME
   * @param settings the runner settings of virtual party i (its global part index)
   * @throws IllegalArgumentException when the certificate does not host exactly K virtual parties, or a part is empty
   */
  public VirtualPartyHost(Placement placement, Samples train, Samples test, PartyIdentity host,
      Function<String, ChannelFactory> channels, IntFunction<RunnerSettings> settings, int trainers) {
    int declared = host.identity().virtualParties();
    if (declared != placement.count()) {
      throw new IllegalArgumentException(declared == 0
          ? "--virtual-parties " + placement.count() + " needs a virtual-party host certificate "
              + "(spiffe://<domain>/job/<job>/party/<name>/virtual/" + placement.count() + "); " + host.uri()
              + " hosts none"
          : "the certificate of " + host.uri() + " declares " + declared + " virtual parties, but --virtual-parties is "
              + placement.count());
    }
    List<int[]> split = placement.partitioner().split(train, placement.parts(), placement.seed());
    this.pool = new TrainerPool(trainers);
    String job = host.identity().job();
    for (int i = 0; i < placement.count(); i++) {
      int part = placement.firstPart() + i;
      PartyIdentity identity = host.virtualParty(i);
      String name = identity.name();
      int[] indices = split.get(part);
      if (indices.length == 0) {
        throw new IllegalArgumentException("partition " + placement.partitioner().describe() + " leaves part " + part
            + " of " + placement.parts() + " (virtual party " + name + ") no training sample");
      }
      VirtualTrainer trainer = new VirtualTrainer(name, train.subset(indices),
          test.subset(TestShards.of(test.size(), part, placement.parts())), pool, placement.seed(),
          ModelFetchGate.notIntercepting(), true);
      log.info("virtual party {}: part {} of {} ({}, seed {}), {} training samples", name, part, placement.parts(),
          placement.partitioner().describe(), placement.seed(), indices.length);
      PartyRunner runner = new PartyRunner(settings.apply(part), channels.apply(name),
          new ScaffoldTrainer(trainer, ControlVariateStore.inMemory()), identity, Clock.systemUTC());
      names.add(name);
      runners.add(runner);
      Thread thread = new Thread(() -> {
        // the runner's log fields are per process (one party a process); here each thread names its own party
        org.slf4j.MDC.put(LogContext.ROLE, LogContext.ROLE_PARTY);
        org.slf4j.MDC.put(LogContext.JOB, job);
        org.slf4j.MDC.put(LogContext.PARTY, name);
        try {
          accuracies.put(name, runner.run());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
          failures.put(name, e);
          log.error("virtual party {} failed: {}", name, e.getMessage());
        }
      }, name);
      thread.setDaemon(true);
      threads.add(thread);
    }
  }

  /** The virtual parties' names, in part order. */
  public List<String> names() {
    return List.copyOf(names);
  }

  /** Runs every virtual party until the job finishes; returns each one's final accuracy, in part order. */
  public Map<String, Double> run() throws InterruptedException {
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    Map<String, Double> result = new LinkedHashMap<>();
    names.stream().filter(accuracies::containsKey).forEach(n -> result.put(n, accuracies.get(n)));
    return result;
  }

  /** The virtual parties that stopped with an error, and why. */
  public Map<String, Throwable> failures() {
    return Map.copyOf(failures);
  }

  /** Stops every runner (the shutdown hook's way out). */
  public void stop() {
    runners.forEach(PartyRunner::stop);
  }

  @Override
  public void close() {
    pool.close();
  }
}
