package dev.flotilla.controller.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the Lease {@code <namespace>/flotilla-controller} so that, of several replicas, only one
 * reconciles: {@code onStartLeading} runs when this replica acquires the Lease,
 * {@code onStopLeading} when it loses it or {@link #close() stops}. Closing releases the Lease so a
 * standby takes over at its next retry instead of waiting for the Lease to expire.
 */
public final class LeaderElection implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);
  public static final String LEASE_NAME = "flotilla-controller";

  /** Lease timings: how long a Lease is valid, how long the leader keeps trying to renew, how often everyone retries. */
  public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    public static final Timing DEFAULT = new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  private final KubernetesClient client;
  private final String namespace;
  private final String identity;
  private final Timing timing;
  private final Runnable onStartLeading;
  private final Runnable onStopLeading;
  private CompletableFuture<?> running;

  public LeaderElection(KubernetesClient client, String namespace, String identity, Timing timing,
      Runnable onStartLeading, Runnable onStopLeading) {
    this.client = client;
    this.namespace = namespace;
    this.identity = identity;
    this.timing = timing;
    this.onStartLeading = onStartLeading;
    this.onStopLeading = onStopLeading;
  }

  public String identity() {
    return identity;
  }

  /** Starts campaigning in the background; the returned future completes when this replica stops leading or is closed. */
  public synchronized CompletableFuture<?> start() {
    if (running == null) {
      running = client.leaderElector()
          .withConfig(new LeaderElectionConfigBuilder()
              .withName(LEASE_NAME)
              .withLock(new LeaseLock(namespace, LEASE_NAME, identity))
              .withLeaseDuration(timing.leaseDuration())
              .withRenewDeadline(timing.renewDeadline())
              .withRetryPeriod(timing.retryPeriod())
              .withReleaseOnCancel(true)
              .withLeaderCallbacks(new LeaderCallbacks(
                  () -> {
                    LOG.info("{} leads (Lease {}/{})", identity, namespace, LEASE_NAME);
                    onStartLeading.run();
                  },
                  () -> {
                    LOG.warn("{} stopped leading", identity);
                    onStopLeading.run();
                  },
                  newLeader -> LOG.info("leader is {}", newLeader)))
              .build())
          .build()
          .start();
    }
    return running;
  }

  /** Stops campaigning and releases the Lease if this replica holds it. */
  @Override
  public synchronized void close() {
    if (running != null) {
      running.cancel(true);
    }
  }
}
