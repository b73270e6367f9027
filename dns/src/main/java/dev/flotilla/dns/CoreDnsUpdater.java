package dev.flotilla.dns;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.Collection;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Edits the cluster's Corefile in its ConfigMap with optimistic concurrency: read the ConfigMap,
 * apply a {@link DnsEdit} with a {@link CorefileEditor}, write it back locked to the
 * resourceVersion that was read. When someone else wrote in between (HTTP 409), read again and
 * redo the edit on their text, so neither side's records (nor a person's hand edits) are lost.
 * Nothing is written when the edit changes nothing.
 *
 * <p>Thread-safe; one instance may serve a whole controller.
 */
public final class CoreDnsUpdater {

  public static final int DEFAULT_MAX_ATTEMPTS = 10;

  private static final Logger LOG = LoggerFactory.getLogger(CoreDnsUpdater.class);

  private final KubernetesClient client;
  private final CoreDnsConfigMapRef ref;
  private final CorefileEditor editor;
  private final int maxAttempts;
  private volatile IntConsumer beforeWrite = attempt -> {};

  /** An updater for {@code kube-system/coredns}, key {@code Corefile}, server block {@code .:53}. */
  public CoreDnsUpdater(KubernetesClient client) {
    this(client, CoreDnsConfigMapRef.defaults(), new CorefileEditor(), DEFAULT_MAX_ATTEMPTS);
  }

  public CoreDnsUpdater(KubernetesClient client, CoreDnsConfigMapRef ref, CorefileEditor editor, int maxAttempts) {
    this.client = Objects.requireNonNull(client, "client");
    this.ref = Objects.requireNonNull(ref, "ref");
    this.editor = Objects.requireNonNull(editor, "editor");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    this.maxAttempts = maxAttempts;
  }

  /** The owner's records become exactly {@code records} (an empty collection removes them). */
  public UpdateResult replaceRecords(String owner, Collection<DnsRecord> records) {
    return apply(DnsEdit.replaceAll(owner, records));
  }

  /**
   * The owner's records become exactly {@code records}, unless an earlier region of another owner
   * answers one of their names ({@link DnsEdit#claim}). The check runs on each attempt's fresh
   * read, and the write is locked to that read: of two owners racing for a name, the loser's write
   * conflicts, and its retry sees the winner's region.
   *
   * @throws NameClaimedException naming the host and its holder; nothing is written
   */
  public UpdateResult claimRecords(String owner, Collection<DnsRecord> records) {
    return apply(DnsEdit.claim(owner, records));
  }

  /** Removes every record of {@code owner}; a no-op when it has none. */
  public UpdateResult removeRecords(String owner) {
    return apply(DnsEdit.removeOwner(owner));
  }

  /**
   * Applies {@code edit}, retrying on write conflicts.
   *
   * @throws CorefileParseException when the ConfigMap's Corefile does not parse (nothing written)
   * @throws CorefileEditException when it cannot be edited safely (nothing written)
   * @throws NameClaimedException when an exclusive edit wants a name another owner holds (nothing written)
   * @throws CoreDnsUpdateException when the ConfigMap or key is missing, or conflicts outlast the attempts
   */
  public UpdateResult apply(DnsEdit edit) {
    for (int attempt = 1; ; attempt++) {
      ConfigMap current = read();
      String text = current.getData().get(ref.key());
      EditResult result = editor.apply(text, edit);
      String resourceVersion = current.getMetadata().getResourceVersion();
      if (!result.changed()) {
        LOG.debug("{}: records of {} already up to date", ref, edit.owner());
        return new UpdateResult(false, attempt, resourceVersion, result.before(), result.after());
      }
      ConfigMap desired = new ConfigMapBuilder(current)
          .addToData(ref.key(), result.corefile().render())
          .build();
      beforeWrite.accept(attempt);
      try {
        ConfigMap written = client.configMaps()
            .inNamespace(ref.namespace())
            .resource(desired)
            .lockResourceVersion(resourceVersion)
            .update();
        LOG.info("{}: records of {} now {} (attempt {})", ref, edit.owner(), result.after(), attempt);
        return new UpdateResult(true, attempt, written.getMetadata().getResourceVersion(), result.before(), result.after());
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw new CoreDnsUpdateException(CoreDnsUpdateException.Reason.API_ERROR, "cannot write " + ref + ": " + e.getMessage(), e);
        }
        if (attempt >= maxAttempts) {
          throw new CoreDnsUpdateException(CoreDnsUpdateException.Reason.CONFLICTS_EXHAUSTED, "gave up writing " + ref + " after " + attempt
              + " conflicting concurrent writes", e);
        }
        LOG.info("{}: conflict writing records of {} (attempt {}), reading again", ref, edit.owner(), attempt);
        backOff(attempt);
      }
    }
  }

  /** The records of every owner in the ConfigMap's Corefile. */
  public SortedMap<String, SortedSet<DnsRecord>> currentRecords() {
    return editor.managedRecords(Corefile.parse(read().getData().get(ref.key())));
  }

  /** The Corefile text as it is in the cluster now. */
  public String currentCorefile() {
    return read().getData().get(ref.key());
  }

  public CoreDnsConfigMapRef ref() {
    return ref;
  }

  /** For tests: runs after the edit and before the locked write of each attempt. */
  void beforeWrite(IntConsumer hook) {
    this.beforeWrite = Objects.requireNonNull(hook);
  }

  private ConfigMap read() {
    ConfigMap cm;
    try {
      cm = client.configMaps().inNamespace(ref.namespace()).withName(ref.name()).get();
    } catch (KubernetesClientException e) {
      throw new CoreDnsUpdateException(CoreDnsUpdateException.Reason.API_ERROR, "cannot read " + ref + ": " + e.getMessage(), e);
    }
    if (cm == null) {
      throw new CoreDnsUpdateException(CoreDnsUpdateException.Reason.CONFIGMAP_NOT_FOUND, ref + " not found");
    }
    if (cm.getData() == null || cm.getData().get(ref.key()) == null) {
      throw new CoreDnsUpdateException(CoreDnsUpdateException.Reason.KEY_NOT_FOUND, ref + ": the ConfigMap has no key '" + ref.key() + "'");
    }
    return cm;
  }

  private static void backOff(int attempt) {
    // short, jittered pause so two writers that keep colliding fall out of step
    long millis = Math.min(500, 10L << Math.min(attempt, 6)) + ThreadLocalRandom.current().nextLong(10);
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CoreDnsUpdateException(CoreDnsUpdateException.Reason.INTERRUPTED, "interrupted while retrying a write to the CoreDNS ConfigMap", e);
    }
  }
}
