package dev.flotilla.controller.join;

import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.controller.operator.ApplyOutcome;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.WorkQueue;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the join Secrets (type {@value JoinModel#TYPE}) of one namespace, the controller's own, and
 * hands each that changed to {@link PartyEnroller} through a deduplicating work queue; each is looked at
 * again when its certificate is due for renewal (at most an hour later, so a changed clock or a lost
 * identity Secret is noticed), after a failure that may pass, and, once enrolled, every
 * {@code federationRefresh} to bring the coordinator's list of members in ({@link FederationMirror}).
 */
public final class JoinController implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JoinController.class);
  static final Duration LONGEST_WAIT = Duration.ofHours(1);

  private final KubernetesClient client;
  private final String namespace;
  private final PartyEnroller enroller;
  private final FederationMirror mirror;
  private final Duration federationRefresh;
  private final Clock clock;
  private final WorkQueue queue;
  private SharedIndexInformer<Secret> informer;
  private final UnrestrictedJoins unrestricted = new UnrestrictedJoins();

  /**
   * @param federationRefresh how often an enrolled join asks the coordinator for the federation's members
   *     ({@link FederationMirror}); zero: never
   */
  public JoinController(KubernetesClient client, String namespace, Clock clock, Duration federationRefresh) {
    this(client, namespace, PartyEnroller::clientFor, clock, federationRefresh);
  }

  JoinController(KubernetesClient client, String namespace, Function<JoinModel.Join, EnrollmentClient> clients, Clock clock,
      Duration federationRefresh) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
    this.federationRefresh = federationRefresh;
    this.enroller = new PartyEnroller(client, clients, clock);
    this.mirror = new FederationMirror(new ChildApplier(client), clients);
    this.queue = new WorkQueue("flotilla-join", this::handle);
  }

  public synchronized JoinController start() {
    informer = client.secrets().inNamespace(namespace).withField("type", JoinModel.TYPE).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Secret s) {
        warnIfUnrestricted(s);
        queue.add(s.getMetadata().getName());
      }

      @Override
      public void onUpdate(Secret before, Secret after) {
        warnIfUnrestricted(after);
        queue.add(after.getMetadata().getName());
      }

      @Override
      public void onDelete(Secret s, boolean unknown) {
        // nothing to undo: the identity Secret stays until someone deletes it
      }
    }, 0);
    LOG.info("enrolling and renewing the join Secrets (type {}) of namespace {}", JoinModel.TYPE, namespace);
    return this;
  }

  private void warnIfUnrestricted(Secret joinSecret) {
    unrestricted.warning(joinSecret).ifPresent(warning -> LOG.warn("{}", warning));
  }

  private void handle(String name) {
    PartyEnroller.Result result;
    try {
      result = enroller.reconcile(namespace, name);
    } catch (RuntimeException e) {
      LOG.warn("{}/{}: enrollment failed: {}", namespace, name, e.toString(), e);
      queue.addAfter(name, PartyEnroller.RETRY);
      return;
    }
    if (result.state() != null) {
      LOG.info("{}/{}: {}: {}", namespace, name, result.state(), result.message());
    }
    Instant next = result.nextCheck();
    if (!federationRefresh.isZero() && mirrored(name)) {
      Instant refresh = clock.instant().plus(federationRefresh);
      next = next == null || refresh.isBefore(next) ? refresh : next;
    }
    if (next != null) {
      Duration wait = Duration.between(clock.instant(), next);
      queue.addAfter(name, wait.isNegative() ? Duration.ZERO : wait.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : wait);
    }
  }

  /** Refreshes the federation's members of an enrolled join; true when it has an identity to ask with. */
  private boolean mirrored(String name) {
    if (federationRefresh.isZero()) {
      return false;
    }
    try {
      Secret joinSecret = client.secrets().inNamespace(namespace).withName(name).get();
      if (joinSecret == null) {
        return false;
      }
      JoinModel.Join join = JoinModel.parse(joinSecret);
      Secret identity = client.secrets().inNamespace(namespace).withName(join.identitySecretName()).get();
      if (identity == null) {
        return false;
      }
      if (mirror.refresh(join, JoinModel.identityOf(identity)) != ApplyOutcome.UNCHANGED) {
        LOG.info("{}/{}: the members of {} changed at the coordinator; Federation {} updated", namespace, name, join.domain(),
            join.domain());
      }
      return true;
    } catch (RuntimeException e) {
      LOG.warn("{}/{}: cannot refresh the federation's members: {}", namespace, name, e.getMessage());
      return true;
    }
  }

  @Override
  public synchronized void close() {
    if (informer != null) {
      informer.close();
    }
    queue.close();
  }
}
