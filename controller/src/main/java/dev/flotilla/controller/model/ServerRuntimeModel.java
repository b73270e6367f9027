package dev.flotilla.controller.model;

import dev.flotilla.controller.api.Role;
import dev.flotilla.protocol.options.ServerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a Flotilla aggregator's container gets so that it survives a restart and tells how its job
 * ended, each only where the template does not say otherwise:
 * <ul>
 *   <li>a state volume: with no {@code --state-dir} in its args, an emptyDir {@value #STATE_VOLUME} at
 *       {@value #STATE_DIR} and {@code --state-dir} pointing there, so a container restarted in the same
 *       pod (a crash, a kill, an OOM) resumes from its last checkpoint. An emptyDir lives as long as
 *       the pod: a deleted or evicted pod starts its job again; mount a PersistentVolumeClaim at the
 *       template's own --state-dir to outlive that;</li>
 *   <li>{@code --termination-message=/dev/termination-log}: the job's summary, which Kubernetes keeps
 *       in the pod's status and {@link PodOutcome} reads;</li>
 *   <li>with {@code spec.privacy}: {@code --privacy-budget}, {@code --dp-delta}, {@code --dp-clip-norm},
 *       {@code --dp-noise-multiplier}, {@code --dp-sampling-rate} ({@link PrivacyModel}).</li>
 * </ul>
 */
public final class ServerRuntimeModel {

  public static final String STATE_VOLUME = "flotilla-state";
  public static final String STATE_DIR = "/var/lib/flotilla/state";
  /** Kubernetes' default terminationMessagePath. */
  public static final String TERMINATION_LOG = "/dev/termination-log";

  private ServerRuntimeModel() {}

  /** True for the jobs this applies to: a Flotilla aggregator. */
  public static boolean appliesTo(JobModel job) {
    return job.role() == Role.SERVER && job.usesFlotillaRuntime();
  }

  /** Adds the state volume and the arguments to the first container of {@code spec} (a copy of the template). */
  static void addTo(JobModel job, PodSpec spec) {
    if (!appliesTo(job)) {
      return;
    }
    Container c = spec.getContainers().get(0);
    List<String> args = new ArrayList<>(c.getArgs() == null ? List.of() : c.getArgs());
    if (!ServerOptions.STATE_DIR.isIn(args)) {
      args.add(ServerOptions.STATE_DIR.assignment(Path.of(STATE_DIR)));
      List<io.fabric8.kubernetes.api.model.Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
      volumes.add(new VolumeBuilder().withName(STATE_VOLUME).withNewEmptyDir().endEmptyDir().build());
      spec.setVolumes(volumes);
      List<io.fabric8.kubernetes.api.model.VolumeMount> mounts =
          new ArrayList<>(c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts());
      mounts.add(new VolumeMountBuilder().withName(STATE_VOLUME).withMountPath(STATE_DIR).build());
      c.setVolumeMounts(mounts);
    }
    if (!ServerOptions.TERMINATION_MESSAGE.isIn(args)) {
      String path = c.getTerminationMessagePath() == null ? TERMINATION_LOG : c.getTerminationMessagePath();
      args.add(ServerOptions.TERMINATION_MESSAGE.assignment(Path.of(path)));
    }
    // a job whose spec.privacy is refused gets no pod at all, so here it is accepted
    args.addAll(PrivacyModel.serverArgs(job.spec().getPrivacy()));
    c.setArgs(args);
  }
}
