package dev.flotilla.controller.operator;

import dev.flotilla.controller.model.JobModel;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Applies desired children with server-side apply under the one field manager
 * {@value JobModel#FIELD_MANAGER}, and only when the object in the cluster lacks something the
 * controller wants: an unchanged job causes no writes, so resourceVersions stay as they are.
 */
public final class ChildApplier {

  private final KubernetesClient client;

  public ChildApplier(KubernetesClient client) {
    this.client = client;
  }

  public <T extends HasMetadata> ApplyOutcome apply(T desired) {
    T actual = client.resource(desired).get();
    if (actual != null && Drift.satisfies(actual, desired)) {
      return ApplyOutcome.UNCHANGED;
    }
    client.resource(desired).fieldManager(JobModel.FIELD_MANAGER).forceConflicts().serverSideApply();
    return actual == null ? ApplyOutcome.CREATED : ApplyOutcome.PATCHED;
  }

  /**
   * Creates {@code desired} unless an object of its name exists (made by another replica meanwhile
   * counts as existing); never writes over one: for shared objects others edit, such as a revocation list.
   */
  public <T extends HasMetadata> ApplyOutcome createIfAbsent(T desired) {
    if (client.resource(desired).get() != null) {
      return ApplyOutcome.UNCHANGED;
    }
    try {
      client.resource(desired).create();
      return ApplyOutcome.CREATED;
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      return ApplyOutcome.UNCHANGED;
    }
  }

  /** The names of the objects of {@code type} in {@code namespace} with {@code labels} that {@code ownerUid} owns. */
  public <T extends HasMetadata> java.util.List<String> ownedNames(Class<T> type, String namespace,
      java.util.Map<String, String> labels, String ownerUid) {
    return client.resources(type).inNamespace(namespace).withLabels(labels).list().getItems().stream()
        .filter(o -> o.getMetadata().getOwnerReferences().stream().anyMatch(r -> r.getUid().equals(ownerUid)))
        .map(o -> o.getMetadata().getName())
        .toList();
  }

  /** Deletes a child the job no longer wants (for example its NetworkPolicy when isolation is switched off). */
  public <T extends HasMetadata> ApplyOutcome delete(Class<T> type, String namespace, String name, String ownerUid) {
    T actual = client.resources(type).inNamespace(namespace).withName(name).get();
    if (actual == null || actual.getMetadata().getOwnerReferences().stream().noneMatch(o -> o.getUid().equals(ownerUid))) {
      return ApplyOutcome.UNCHANGED;
    }
    client.resources(type).inNamespace(namespace).withName(name).delete();
    return ApplyOutcome.DELETED;
  }
}
