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
