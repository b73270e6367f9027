package dev.flotilla.controller.operator;

import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import dev.flotilla.controller.api.IflearnerJob;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Cheap questions to the API server with short timeouts and no retries, on a client of their own
 * (the controller's client retries with backoff, which is right for reconciling and wrong for "is
 * the API server there?"): the check before the controller starts ({@link #preflight}) and the
 * connectivity {@code /readyz} reports ({@link #problem}, asked at most once per {@code cacheFor}).
 */
public final class ApiProbe implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final KubernetesClient client;
  private final String server;
  private final Duration cacheFor;
  private final Clock clock;
  private Instant checkedAt = Instant.MIN;
  private Optional<String> lastProblem = Optional.empty();

  public ApiProbe(Config config, Duration cacheFor, Clock clock) {
    Config probe = new ConfigBuilder(config)
        .withRequestRetryBackoffLimit(0)
        .withConnectionTimeout((int) TIMEOUT.toMillis())
        .withRequestTimeout((int) TIMEOUT.toMillis())
        .build();
    this.client = new KubernetesClientBuilder().withConfig(probe).build();
    this.server = config.getMasterUrl();
    this.cacheFor = cacheFor;
    this.clock = clock;
  }

  /**
   * Throws a {@link CommandFailure} with one line saying what stops the controller: the API server
   * unreachable (still, after {@code wait}: a pod just started may find its Service address not yet
   * routed, a busy API server may be slow) or refusing the credentials, the CRD not installed, or no
   * right to list IflearnerJobs in a watched namespace (those two at once: waiting does not mend them).
   */
  public void preflight(WatchScope scope, Duration wait) {
    Instant giveUp = clock.instant().plus(wait);
    Optional<String> unreachable = reach();
    while (unreachable.isPresent() && !unreachable.get().contains("401") && clock.instant().isBefore(giveUp)) {
      try {
        Thread.sleep(RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      unreachable = reach();
    }
    if (unreachable.isPresent()) {
      throw new CommandFailure(ExitCode.UNREACHABLE, unreachable.get()
          + (wait.isZero() ? "" : " (tried for " + wait.toSeconds() + " s, --startup-timeout)"));
    }
    List<String> namespaces = scope.allNamespaces() ? java.util.Collections.singletonList(null) : scope.namespaces();
    for (String ns : namespaces) {
      try {
        var jobs = client.resources(IflearnerJob.class);
        var options = new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build();
        if (ns == null) {
          jobs.inAnyNamespace().list(options);
        } else {
          jobs.inNamespace(ns).list(options);
        }
      } catch (KubernetesClientException e) {
        String where = ns == null ? "across all namespaces" : "in namespace " + ns;
        if (e.getCode() == 404) {
          throw new CommandFailure(ExitCode.MISSING, "the API server at " + server + " serves no IflearnerJobs ("
              + IflearnerJob.GROUP + "/" + IflearnerJob.VERSION + "): install the CRD with kubectl apply -f "
              + "config/crd/iflearnerjobs.git.iflytek.com-v1.yml (or kubectl apply -k config/default)");
        }
        if (e.getCode() == 403) {
          throw new CommandFailure(ExitCode.REFUSED, "the controller's identity may not list IflearnerJobs " + where
              + " (403 from " + server + "): " + (ns == null
                  ? "bind the ClusterRole of config/cluster-wide"
                  : "apply the Role and RoleBinding of config/rbac/namespaced in " + ns));
        }
        throw new CommandFailure(ExitCode.UNREACHABLE, "cannot list IflearnerJobs " + where + " at " + server
            + ": " + reason(e));
      }
    }
  }

  /** Why the API server is not usable now (unreachable, refusing the credentials), or empty; cached for {@code cacheFor}. */
  public synchronized Optional<String> problem() {
    Instant now = clock.instant();
    if (Duration.between(checkedAt, now).compareTo(cacheFor) >= 0) {
      lastProblem = reach();
      checkedAt = now;
    }
    return lastProblem;
  }

  private Optional<String> reach() {
    try {
      client.getKubernetesVersion();
      return Optional.empty();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 401) {
        return Optional.of("the API server at " + server + " refuses the controller's credentials (401 Unauthorized)");
      }
      return Optional.of("cannot reach the API server at " + server + ": " + reason(e));
    } catch (RuntimeException e) {
      return Optional.of("cannot reach the API server at " + server + ": " + reason(e));
    }
  }

  /**
   * What went wrong, on one line: the first cause below fabric8's wrapper ("An error has occurred"),
   * with its type (a refused connection is a ConnectException whose message may be empty).
   */
  static String reason(Throwable e) {
    Throwable t = e;
    while (t instanceof KubernetesClientException && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    StringBuilder text = new StringBuilder(t.getClass().getSimpleName());
    if (t.getMessage() != null && !t.getMessage().isBlank()) {
      text.append(": ").append(t.getMessage());
    } else if (t.getCause() != null && t.getCause() != t) {
      Throwable c = t.getCause();
      text.append(" (").append(c.getClass().getSimpleName()).append(c.getMessage() == null ? "" : ": " + c.getMessage()).append(')');
    }
    return text.toString().replaceAll("\\s+", " ").strip();
  }

  @Override
  public void close() {
    client.close();
  }
}
