package dev.flotilla.controller.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's own namespace holds the CA keys (and its ServiceAccount). When it also runs
 * jobs (the controller watches its own namespace unless told otherwise), a job's pod there must not
 * reach them: a template in that namespace that refers to any Secret (volumes, projected sources,
 * env, envFrom, CSI secret references...), runs as a ServiceAccount other than {@code default}, or
 * reaches into its node (a hostPath volume, the node's network, PID or IPC namespace, a chosen
 * node, a privileged container or added capabilities: each is a way to the controller's own token
 * or process, and through them to the keys) is refused. The job's own certificate is mounted by the
 * controller, so no template needs to name it.
 */
public final class ControllerNamespaceCheck {

  /** Fields under which a pod spec names a Secret, whatever the volume type. */
  private static final Set<String> SECRET_FIELDS = Set.of("secret", "secretName", "secretRef", "secretKeyRef",
      "nodePublishSecretRef", "nodeStageSecretRef", "controllerPublishSecretRef", "controllerExpandSecretRef");
  /** Pulling an image with a Secret gives the pod nothing to read. */
  private static final Set<String> IGNORED_FIELDS = Set.of("imagePullSecrets");

  private ControllerNamespaceCheck() {}

  /** Why the job's template may not run in {@code controllerNamespace}, or empty when it may (or the job lives elsewhere). */
  public static Optional<String> refusal(JobModel job, String controllerNamespace) {
    if (!job.namespace().equals(controllerNamespace)) {
      return Optional.empty();
    }
    PodSpec spec = job.spec().getTemplate().getSpec();
    String account = spec.getServiceAccountName() != null ? spec.getServiceAccountName() : spec.getServiceAccount();
    if (account != null && !account.isBlank() && !account.equals("default")) {
      return Optional.of(job.ref() + ": spec.template runs as ServiceAccount " + account + " in the controller's namespace "
          + controllerNamespace + "; jobs there may only use the default ServiceAccount. Run the job in another namespace.");
    }
    List<String> hostAccess = hostAccess(spec);
    if (!hostAccess.isEmpty()) {
      return Optional.of(job.ref() + ": spec.template reaches into its node (" + String.join(", ", hostAccess)
          + ") in the controller's namespace " + controllerNamespace + ", where the CA keys are kept; jobs there may "
          + "not. Run the job in another namespace.");
    }
    List<String> references = secretReferences(spec);
    if (!references.isEmpty()) {
      return Optional.of(job.ref() + ": spec.template refers to Secrets (" + String.join(", ", references)
          + ") in the controller's namespace " + controllerNamespace + ", where the CA keys are kept; jobs there may "
          + "refer to none (the job's certificate is mounted at " + PodModel.TLS_MOUNT_PATH + " anyway). "
          + "Run the job in another namespace.");
    }
    return Optional.empty();
  }

  /** The fields of {@code spec} that give a pod its node: host namespaces, hostPath, nodeName, privilege. */
  static List<String> hostAccess(PodSpec spec) {
    List<String> out = new ArrayList<>();
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      out.add("hostNetwork");
    }
    if (Boolean.TRUE.equals(spec.getHostPID())) {
      out.add("hostPID");
    }
    if (Boolean.TRUE.equals(spec.getHostIPC())) {
      out.add("hostIPC");
    }
    if (spec.getNodeName() != null && !spec.getNodeName().isBlank()) {
      out.add("nodeName");
    }
    if (spec.getVolumes() != null) {
      for (int i = 0; i < spec.getVolumes().size(); i++) {
        if (spec.getVolumes().get(i).getHostPath() != null) {
          out.add("volumes[" + i + "].hostPath");
        }
      }
    }
    List<io.fabric8.kubernetes.api.model.Container> containers = new ArrayList<>(spec.getContainers());
    if (spec.getInitContainers() != null) {
      containers.addAll(spec.getInitContainers());
    }
    for (io.fabric8.kubernetes.api.model.Container c : containers) {
      var sc = c.getSecurityContext();
      if (sc == null) {
        continue;
      }
      if (Boolean.TRUE.equals(sc.getPrivileged())) {
        out.add("container " + c.getName() + " privileged");
      }
      if (sc.getCapabilities() != null && sc.getCapabilities().getAdd() != null && !sc.getCapabilities().getAdd().isEmpty()) {
        out.add("container " + c.getName() + " capabilities.add " + sc.getCapabilities().getAdd());
      }
    }
    return out;
  }

  /** The JSON paths in {@code spec} that name a Secret, e.g. {@code volumes[0].secret}. */
  static List<String> secretReferences(PodSpec spec) {
    List<String> out = new ArrayList<>();
    walk(Serialization.jsonMapper().valueToTree(spec), "", out);
    return out;
  }

  private static void walk(JsonNode node, String path, List<String> out) {
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]", out);
      }
      return;
    }
    if (!node.isObject()) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String child = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
      if (IGNORED_FIELDS.contains(field.getKey()) || field.getValue().isNull()) {
        continue;
      }
      if (SECRET_FIELDS.contains(field.getKey())) {
        out.add(child);
      } else {
        walk(field.getValue(), child, out);
      }
    }
  }
}
