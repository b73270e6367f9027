package dev.flotilla.controller.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's Pod: {@code spec.template} with the job's certificate Secret mounted at
 * {@value #TLS_MOUNT_PATH} (tls.crt, tls.key, ca.crt, the files the Flotilla runtimes' --cert,
 * --key and --ca read), and, for terminate-mode parties, the CA bundle at the two paths
 * iflearner's README passes to --cert and --peer-cert. The template runs under the restrictive
 * defaults of {@link PodSecurityModel} (what it sets itself wins), and a Flotilla aggregator behind
 * a terminating ingress trusts ingress-nginx as its proxy ({@link IngressClientModel#trustIngress}).
 * A template without a restartPolicy gets {@value #DEFAULT_RESTART_POLICY}; the runtime container
 * reports its end through its termination message (its log's end when it wrote none); a Flotilla
 * aggregator gets a state volume and writes its summary there ({@link ServerRuntimeModel}); with
 * {@code --pod-host-aliases} the pod resolves the job hosts itself ({@link HostAliasesModel}).
 */
public final class PodModel {

  public static final String TLS_VOLUME = "flotilla-tls";
  public static final String TLS_MOUNT_PATH = "/etc/flotilla/tls";
  public static final String SERVER_CRT_CONFIGMAP = "server-iflearner-crt";
  public static final String SERVER_CRT_FILE = "server-iflearner-secret.crt";
  public static final String PARTY_CRT_CONFIGMAP = "party-iflearner-crt";
  public static final String PARTY_CRT_FILE = "party-iflearner-secret.crt";
  public static final String TEMPLATE_HASH_ANNOTATION = "flotilla.dev/template-hash";
  /** A template without a restartPolicy: a failed container comes back, a finished one stays finished. */
  public static final String DEFAULT_RESTART_POLICY = "OnFailure";
  /** 0440: readable by the owner and the pod's fsGroup, never by others. */
  public static final int SECRET_MODE = 0440;

  private PodModel() {}

  /** The pod without host aliases. */
  public static Pod desired(JobModel job) {
    return desired(job, null);
  }

  /**
   * The pod; with {@code hostAliasAddress} (the controller's {@code --pod-host-aliases}) the job's DNS
   * records as hostAliases pointing there ({@link HostAliasesModel}).
   */
  public static Pod desired(JobModel job, String hostAliasAddress) {
    return desired(job, hostAliasAddress, job.tlsSecretName());
  }

  /**
   * The pod, mounting the identity in Secret {@code tlsSecret} at {@value #TLS_MOUNT_PATH}: the job's
   * {@code <job>-tls}, or the identity its organisation enrolled with ({@link EnrolledIdentityModel}).
   */
  public static Pod desired(JobModel job, String hostAliasAddress, String tlsSecret) {
    return desired(job, hostAliasAddress, null, tlsSecret);
  }

  /**
   * The pod, a party's server host in its hostAliases pointing at {@code serverAddress} (the coordinator's,
   * from the Federation; null: {@code hostAliasAddress}, this cluster's ingress).
   */
  public static Pod desired(JobModel job, String hostAliasAddress, String serverAddress, String tlsSecret) {
    return desired(job, hostAliasAddress, serverAddress, Map.of(), tlsSecret);
  }

  /**
   * As {@link #desired(JobModel, String, String, String)}, a peer-channel party's hostAliases also naming the
   * other parties' hosts at their addresses ({@code peers}, from the Federation; {@link HostAliasesModel}).
   */
  public static Pod desired(JobModel job, String hostAliasAddress, String serverAddress, Map<String, String> peers,
      String tlsSecret) {
    ObjectMeta templateMeta = job.spec().getTemplate().getMetadata();
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, String> annotations = new LinkedHashMap<>();
    if (templateMeta != null) {
      if (templateMeta.getLabels() != null) {
        labels.putAll(templateMeta.getLabels());
      }
      if (templateMeta.getAnnotations() != null) {
        annotations.putAll(templateMeta.getAnnotations());
      }
    }
    labels.putAll(job.labels());

    PodSpec spec = new PodSpecBuilder(job.spec().getTemplate().getSpec()).build();
    if (job.spec().getSchedulerName() != null && !job.spec().getSchedulerName().isBlank()) {
      spec.setSchedulerName(job.spec().getSchedulerName());
    }
    List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
    addVolume(volumes, new VolumeBuilder().withName(TLS_VOLUME)
        .withNewSecret().withSecretName(tlsSecret).withDefaultMode(SECRET_MODE).endSecret().build());
    boolean iflearnerPaths = job.tlsMode() == TlsMode.TERMINATE && job.role() == Role.CLIENT;
    if (iflearnerPaths) {
      addVolume(volumes, new VolumeBuilder().withName(SERVER_CRT_CONFIGMAP)
          .withNewConfigMap().withName(SERVER_CRT_CONFIGMAP).endConfigMap().build());
      addVolume(volumes, new VolumeBuilder().withName(PARTY_CRT_CONFIGMAP)
          .withNewConfigMap().withName(PARTY_CRT_CONFIGMAP).endConfigMap().build());
    }
    spec.setVolumes(volumes);
    List<Container> containers = new ArrayList<>();
    for (Container c : spec.getContainers()) {
      Container copy = new io.fabric8.kubernetes.api.model.ContainerBuilder(c).build();
      List<VolumeMount> mounts = new ArrayList<>(copy.getVolumeMounts() == null ? List.of() : copy.getVolumeMounts());
      addMount(mounts, new VolumeMountBuilder().withName(TLS_VOLUME).withMountPath(TLS_MOUNT_PATH).withReadOnly(true).build());
      if (iflearnerPaths) {
        addMount(mounts, new VolumeMountBuilder().withName(SERVER_CRT_CONFIGMAP)
            .withMountPath("/etc/" + SERVER_CRT_FILE).withSubPath(SERVER_CRT_FILE).withReadOnly(true).build());
        addMount(mounts, new VolumeMountBuilder().withName(PARTY_CRT_CONFIGMAP)
            .withMountPath("/etc/" + PARTY_CRT_FILE).withSubPath(PARTY_CRT_FILE).withReadOnly(true).build());
      }
      copy.setVolumeMounts(mounts);
      containers.add(copy);
    }
    spec.setContainers(containers);
    IngressClientModel.trustIngress(job, spec);
    VirtualPartiesModel.addTo(job, spec);
    ServerRuntimeModel.addTo(job, spec);
    if (spec.getRestartPolicy() == null) {
      // Kubernetes' default, Always, would start a finished job again, forever
      spec.setRestartPolicy(DEFAULT_RESTART_POLICY);
    }
    Container runtime = spec.getContainers().get(0);
    if (runtime.getTerminationMessagePolicy() == null) {
      // a runtime that dies without writing a message still says why: the end of its log
      runtime.setTerminationMessagePolicy("FallbackToLogsOnError");
    }
    if (hostAliasAddress != null) {
      List<io.fabric8.kubernetes.api.model.HostAlias> aliases = new ArrayList<>(spec.getHostAliases() == null ? List.of() : spec.getHostAliases());
      aliases.addAll(HostAliasesModel.aliases(job, hostAliasAddress, serverAddress, peers));
      spec.setHostAliases(aliases);
    }

    Pod pod = new PodBuilder()
        .withNewMetadata()
        .withName(job.podName())
        .withNamespace(job.namespace())
        .withLabels(labels)
        .withAnnotations(annotations)
        .withOwnerReferences(job.ownerReference())
        .endMetadata()
        .withSpec(spec)
        .build();
    PartiesModel.addTo(job, pod.getSpec());
    PeerModel.addTo(job, pod);
    RevocationListModel.addTo(job, pod.getSpec());
    PodSecurityModel.harden(pod);
    pod.getMetadata().getAnnotations().put(TEMPLATE_HASH_ANNOTATION, hash(pod));
    return pod;
  }

  /** A short digest of everything the pod is built from; a different digest means the pod must be replaced. */
  static String hash(Pod pod) {
    try {
      byte[] json = Serialization.jsonMapper().writeValueAsString(pod).getBytes(StandardCharsets.UTF_8);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(json);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot digest the pod", e);
    }
  }

  private static void addVolume(List<Volume> volumes, Volume volume) {
    if (volumes.stream().noneMatch(v -> v.getName().equals(volume.getName()))) {
      volumes.add(volume);
    }
  }

  private static void addMount(List<VolumeMount> mounts, VolumeMount mount) {
    if (mounts.stream().noneMatch(m -> m.getName().equals(mount.getName()) || m.getMountPath().equals(mount.getMountPath()))) {
      mounts.add(mount);
    }
  }
}
