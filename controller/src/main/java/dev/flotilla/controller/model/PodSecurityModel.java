package dev.flotilla.controller.model;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The restrictive security settings a job's pod gets underneath its template. Each one fills a
 * field the template leaves unset; whatever the template sets explicitly wins, so an explicit
 * template choice is the only way to loosen them.
 *
 * <ul>
 *   <li>Pod: {@code automountServiceAccountToken: false}; {@code seccompProfile: RuntimeDefault}.</li>
 *   <li>Every container (and init container): {@code allowPrivilegeEscalation: false},
 *       {@code capabilities.drop: [ALL]} (a template's {@code capabilities.add} is kept).</li>
 *   <li>Containers of Flotilla runtime images, which run as UID 10001 and write only to their
 *       volumes and /tmp: also {@code runAsNonRoot: true} and {@code readOnlyRootFilesystem: true},
 *       with an emptyDir at /tmp. Other images (iflearner's runs as root and downloads its dataset
 *       into its working directory) get neither: the controller cannot know their user or what they
 *       write, and the kubelet would refuse or break them. A template or a namespace's Pod Security
 *       Admission level can demand them.</li>
 * </ul>
 *
 * <p>Combinations the API server refuses are never produced: no {@code allowPrivilegeEscalation:
 * false} next to {@code privileged: true} or an added CAP_SYS_ADMIN, no seccomp field that contradicts
 * the template's seccomp annotation, no {@code runAsNonRoot} where the template chose UID 0.
 */
public final class PodSecurityModel {

  public static final String RUNTIME_DEFAULT = "RuntimeDefault";
  public static final String DROP_ALL = "ALL";
  public static final String TMP_VOLUME = "flotilla-tmp";
  public static final String TMP_PATH = "/tmp";
  /** The pre-1.19 annotation; when a template still uses it, the field must agree with it, so it is left alone. */
  public static final String SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";

  private static final Set<String> SYS_ADMIN = Set.of("SYS_ADMIN", "CAP_SYS_ADMIN");

  private PodSecurityModel() {}

  /** Fills in the defaults on {@code pod} (a fresh copy built from the template, so it is changed in place). */
  public static void harden(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (spec.getAutomountServiceAccountToken() == null) {
      spec.setAutomountServiceAccountToken(false);
    }
    PodSecurityContext podContext = spec.getSecurityContext() == null ? new PodSecurityContext() : spec.getSecurityContext();
    Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
    if (podContext.getSeccompProfile() == null && !annotations.containsKey(SECCOMP_POD_ANNOTATION)) {
      podContext.setSeccompProfile(new SeccompProfileBuilder().withType(RUNTIME_DEFAULT).build());
    }
    spec.setSecurityContext(podContext);

    boolean needsTmp = false;
    for (Container c : containers(spec)) {
      needsTmp |= harden(c, podContext);
    }
    if (needsTmp && (spec.getVolumes() == null || spec.getVolumes().stream().noneMatch(v -> TMP_VOLUME.equals(v.getName())))) {
      List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
      volumes.add(new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().endEmptyDir().build());
      spec.setVolumes(volumes);
    }
  }

  /** Hardens one container; true when it got a read-only root filesystem and so the /tmp volume. */
  private static boolean harden(Container c, PodSecurityContext podContext) {
    SecurityContext sc = c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
    c.setSecurityContext(sc);
    Capabilities caps = sc.getCapabilities() == null ? new Capabilities() : sc.getCapabilities();
    boolean addsSysAdmin = caps.getAdd() != null && caps.getAdd().stream().anyMatch(SYS_ADMIN::contains);
    if (sc.getAllowPrivilegeEscalation() == null && !Boolean.TRUE.equals(sc.getPrivileged()) && !addsSysAdmin) {
      sc.setAllowPrivilegeEscalation(false);
    }
    if (caps.getDrop() == null || caps.getDrop().isEmpty()) {
      caps.setDrop(List.of(DROP_ALL));
    }
    sc.setCapabilities(caps);

    if (!JobModel.isFlotillaRuntimeImage(c.getImage())) {
      return false;
    }
    Long uid = sc.getRunAsUser() != null ? sc.getRunAsUser() : podContext.getRunAsUser();
    boolean chosenNonRoot = sc.getRunAsNonRoot() != null || podContext.getRunAsNonRoot() != null;
    if (!chosenNonRoot && (uid == null || uid != 0L)) {
      sc.setRunAsNonRoot(true);
    }
    if (sc.getReadOnlyRootFilesystem() != null) {
      return false;
    }
    sc.setReadOnlyRootFilesystem(true);
    List<VolumeMount> mounts = new ArrayList<>(c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts());
    if (mounts.stream().anyMatch(m -> TMP_PATH.equals(m.getMountPath()))) {
      return false;
    }
    mounts.add(new VolumeMountBuilder().withName(TMP_VOLUME).withMountPath(TMP_PATH).build());
    c.setVolumeMounts(mounts);
    return true;
  }

  private static List<Container> containers(PodSpec spec) {
    List<Container> all = new ArrayList<>();
    if (spec.getInitContainers() != null) {
      all.addAll(spec.getInitContainers());
    }
    all.addAll(spec.getContainers());
    return all;
  }
}
