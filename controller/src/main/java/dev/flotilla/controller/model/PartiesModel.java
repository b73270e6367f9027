package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.dns.FederationHost;
import dev.flotilla.dns.HostPolicy;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A Flotilla aggregator's allow-list: the parties its job declares, which are the client
 * IflearnerJobs in the server's namespace whose hosts name the same job and domain
 * ({@code mnist.a.party.fl.example.org} is party {@code a} of the server {@code mnist.server.fl.example.org}).
 * They go into the ConfigMap {@code <server-job>-parties}, one name per line, which the server's
 * pod mounts as a directory (not a subPath: the kubelet then updates the file in place) and reads
 * with the server's {@code --allow-party-file}. A client job hosting virtual parties declares those
 * ({@link VirtualPartiesModel#partyNames}), not itself; a party job the controller refuses declares nobody. Adding or
 * deleting a party job rewrites the ConfigMap; the pod stays.
 * iflearner images get none of this. Pure.
 */
public final class PartiesModel {

  public static final String KEY = "parties";
  public static final String VOLUME = "flotilla-parties";
  public static final String MOUNT_PATH = "/etc/flotilla/parties";
  public static final String FILE = MOUNT_PATH + "/" + KEY;

  private PartiesModel() {}

  /** Only Flotilla aggregators read a parties file. */
  public static boolean appliesTo(JobModel job) {
    return job.role() == Role.SERVER && job.usesFlotillaRuntime();
  }

  public static String configMapName(JobModel server) {
    return server.name() + "-parties";
  }

  /**
   * The party names the server's job declares: admitted client jobs of {@code namespaceJobs} (not
   * being deleted) with the server's job and domain, sorted and without duplicates; {@code proofs} tells which jobs hold
   * a shared pod name or host, as the reconcile does ({@link PodHostClaims}).
   */
  public static SortedSet<String> parties(JobModel server, Collection<IflearnerJob> namespaceJobs, HostPolicy policy,
      java.util.function.Supplier<ClaimProof> proofs) {
    SortedSet<String> parties = new TreeSet<>();
    Optional<FederationHost> serverHost = HostAdmission.admitted(server, policy);
    if (serverHost.isEmpty()) {
      return parties;
    }
    for (IflearnerJob candidate : namespaceJobs) {
      if (candidate.getSpec() == null || candidate.getSpec().getRole() != Role.CLIENT
          || candidate.getMetadata().getDeletionTimestamp() != null
          || !server.namespace().equals(candidate.getMetadata().getNamespace())) {
        continue;
      }
      JobModel party;
      try {
        party = new JobModel(candidate);
      } catch (IllegalArgumentException e) {
        continue; // not a runnable job: it declares nothing
      }
      if (refused(party, namespaceJobs, proofs)) {
        continue; // the controller makes no pod for it, so no name of it should be admitted either
      }
      HostAdmission.admitted(party, policy)
          .filter(h -> h.job().equals(serverHost.get().job()) && h.domain().equals(serverHost.get().domain()))
          .ifPresent(h -> parties.addAll(VirtualPartiesModel.partyNames(party, h.party())));
    }
    return parties;
  }

  /** Whether the controller refuses the party job's spec (privacy, virtual parties, a taken host), as its reconcile would. */
  private static boolean refused(JobModel party, Collection<IflearnerJob> namespaceJobs,
      java.util.function.Supplier<ClaimProof> proofs) {
    StatusModel.Observation privacy = PrivacyModel.observe(party);
    StatusModel.Observation virtualParties = VirtualPartiesCheck.observe(party);
    return privacy != null && !privacy.ready() || virtualParties != null && !virtualParties.ready()
        || PodHostClaims.refusal(party, namespaceJobs, proofs).isPresent();
  }

  /** The ConfigMap, owned by the server job: one party name per line. */
  public static ConfigMap configMap(JobModel server, Collection<String> parties) {
    StringBuilder text = new StringBuilder();
    for (String party : new TreeSet<>(parties)) {
      text.append(party).append('\n');
    }
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(configMapName(server))
        .withNamespace(server.namespace())
        .withLabels(server.labels())
        .withOwnerReferences(server.ownerReference())
        .endMetadata()
        .withData(Map.of(KEY, text.toString()))
        .build();
  }

  /**
   * Mounts the ConfigMap into the server's pod and adds {@code --allow-party-file} to its first container's
   * arguments (unless the template already passes one). Nothing for other jobs.
   */
  public static void addTo(JobModel job, PodSpec spec) {
    if (!appliesTo(job)) {
      return;
    }
    List<Volume> volumes = new ArrayList<>(spec.getVolumes() == null ? List.of() : spec.getVolumes());
    if (volumes.stream().noneMatch(v -> v.getName().equals(VOLUME))) {
      volumes.add(new VolumeBuilder().withName(VOLUME).withNewConfigMap().withName(configMapName(job)).endConfigMap().build());
    }
    spec.setVolumes(volumes);
    Container server = spec.getContainers().get(0);
    List<VolumeMount> mounts = new ArrayList<>(server.getVolumeMounts() == null ? List.of() : server.getVolumeMounts());
    if (mounts.stream().noneMatch(m -> m.getName().equals(VOLUME) || MOUNT_PATH.equals(m.getMountPath()))) {
      mounts.add(new VolumeMountBuilder().withName(VOLUME).withMountPath(MOUNT_PATH).withReadOnly(true).build());
    }
    server.setVolumeMounts(mounts);
    List<String> args = new ArrayList<>(server.getArgs() == null ? List.of() : server.getArgs());
    if (!ServerOptions.ALLOW_PARTY_FILE.isIn(args)) {
      args.add(ServerOptions.ALLOW_PARTY_FILE.assignment(Path.of(FILE)));
    }
    server.setArgs(args);
  }
}
