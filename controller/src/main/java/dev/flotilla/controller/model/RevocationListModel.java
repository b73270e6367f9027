package dev.flotilla.controller.model;

import dev.flotilla.protocol.options.ServerOptions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The revocation list of a federation domain, ConfigMap {@code flotilla-revoked.<domain>} in the job
 * namespace (key {@value #KEY}; {@code controller enroll revoke} adds to it), as a Flotilla aggregator
 * reads it: mounted as a directory (not a subPath, so the kubelet updates the file in place) at
 * {@value #MOUNT_PATH}, and {@code --revoked-serials} pointing at the file, unless the template passes
 * its own. The aggregator refuses a missing file at start, so the controller creates an empty list
 * before the pod exists ({@link #empty}) and never writes one that exists. Pure.
 */
public final class RevocationListModel {

  public static final String PREFIX = "flotilla-revoked.";
  public static final String KEY = "serials";
  public static final String VOLUME = "flotilla-revoked";
  public static final String MOUNT_PATH = "/etc/flotilla/revoked";
  public static final String FILE = MOUNT_PATH + "/" + KEY;
  public static final String COMPONENT = "enrollment";

  private RevocationListModel() {}

  /** Flotilla aggregators only: they are the ones that check client certificates against the list. */
  public static boolean appliesTo(JobModel job) {
    return ServerRuntimeModel.appliesTo(job);
  }

  public static String configMapName(String domain) {
    return PREFIX + domain;
  }

  /** An empty list (shared by the domain's jobs, owned by none, so a revocation outlives any job). */
  public static ConfigMap empty(String namespace, String domain) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(JobModel.LABEL_MANAGED_BY, JobModel.FIELD_MANAGER);
    labels.put("app.kubernetes.io/component", COMPONENT);
    return new ConfigMapBuilder().withNewMetadata().withName(configMapName(domain)).withNamespace(namespace)
        .withLabels(labels).endMetadata().withData(Map.of(KEY, "")).build();
  }

  /** Mounts the domain's list into the first container and passes {@code --revoked-serials}; nothing for other jobs. */
  static void addTo(JobModel job, PodSpec spec) {
    if (!appliesTo(job)) {
      return;
    }
    Container server = spec.getContainers().get(0);
    List<String> args = new ArrayList<>(server.getArgs() == null ? List.of() : server.getArgs());
    if (ServerOptions.REVOKED_SERIALS.isIn(args)) {
      return; // the template reads a list of its own
    }
    List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
    if (volumes.stream().noneMatch(v -> v.getName().equals(VOLUME))) {
      volumes.add(new VolumeBuilder().withName(VOLUME).withNewConfigMap().withName(configMapName(job.domain())).endConfigMap()
          .build());
    }
    spec.setVolumes(volumes);
    List<VolumeMount> mounts = new ArrayList<>(server.getVolumeMounts() == null ? List.of() : server.getVolumeMounts());
    if (mounts.stream().noneMatch(m -> m.getName().equals(VOLUME) || MOUNT_PATH.equals(m.getMountPath()))) {
      mounts.add(new VolumeMountBuilder().withName(VOLUME).withMountPath(MOUNT_PATH).withReadOnly(true).build());
    }
    server.setVolumeMounts(mounts);
    args.add(ServerOptions.REVOKED_SERIALS.assignment(Path.of(FILE)));
    server.setArgs(args);
  }
}
