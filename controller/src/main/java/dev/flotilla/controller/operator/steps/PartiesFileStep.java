package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.federation.FederationParties;
import dev.flotilla.controller.federation.FederationParties.Admission;
import dev.flotilla.controller.model.HostAdmission;
import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PartiesModel;
import dev.flotilla.controller.model.RevocationListModel;
import dev.flotilla.controller.model.StatusModel;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.controller.operator.ChildApplier;
import dev.flotilla.controller.operator.EventRecorder;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.dns.FederationHost;
import dev.flotilla.dns.HostPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.util.Collection;
import java.util.Optional;
import java.util.SortedSet;

/**
 * A Flotilla aggregator's ConfigMap {@code <job>-parties}: the parties its job declares
 * ({@link PartiesModel}) from the party jobs of its namespace as the controller's informers see them,
 * rewritten whenever one comes or goes (the controller enqueues the server job then), and the domain's
 * revocation list {@code flotilla-revoked.<domain>} created empty if missing, never overwritten
 * ({@link RevocationListModel}): the pod mounts both. In a federation member's controller
 * ({@code --federation-member}) the file also admits the party members of the Federation of the server's domain
 * ({@link FederationParties}), read from the controller's cache; a Federation change rewrites it. What is refused
 * there is named in the condition (reason {@value #MEMBERS_REFUSED}) and in one Warning event. Condition
 * {@value StatusModel#PARTIES_FILE_READY}, for Flotilla servers only; for any other job the step
 * removes a parties file it owns and reports nothing.
 */
public final class PartiesFileStep implements ReconcileStep {

  public static final String FAILED = "PartiesFileFailed";
  public static final String APPLIED = "Applied";
  public static final String MEMBERS_REFUSED = "FederationMembersRefused";
  /** How many names or refusals a condition message lists. */
  static final int LISTED = 8;

  private final ChildApplier applier;
  private final ObservedState observed;
  private final HostPolicy hosts;
  private final boolean followFederations;
  private final EventRecorder events;
  private final java.util.function.Supplier<dev.flotilla.controller.model.ClaimProof> proofs;

  /**
   * @param followFederations whether the controller is a federation member: then the Federations' party members are admitted too
   * @param proofs what proves which job holds a shared pod name or host (the reconcile's {@link dev.flotilla.controller.operator.ClaimKey})
   */
  public PartiesFileStep(ChildApplier applier, ObservedState observed, HostPolicy hosts, boolean followFederations,
      EventRecorder events, java.util.function.Supplier<dev.flotilla.controller.model.ClaimProof> proofs) {
    this.proofs = proofs;
    this.applier = applier;
    this.observed = observed;
    this.hosts = hosts;
    this.followFederations = followFederations;
    this.events = events;
  }

  @Override
  public String conditionType(JobModel job) {
    return StatusModel.PARTIES_FILE_READY;
  }

  @Override
  public String failureReason(JobModel job) {
    return FAILED;
  }

  @Override
  public Observation reconcile(JobContext context) {
    JobModel model = context.model();
    if (!PartiesModel.appliesTo(model)) {
      applier.delete(ConfigMap.class, model.namespace(), PartiesModel.configMapName(model), model.job().getMetadata().getUid());
      return null;
    }
    Desired desired = desired(model, observed.jobsIn(model.namespace()));
    applier.apply(desired.file());
    if (RevocationListModel.appliesTo(model)) {
      // the aggregator refuses to start without its revocation list: an empty one until someone revokes
      applier.createIfAbsent(RevocationListModel.empty(model.namespace(), model.domain()));
    }
    if (!desired.observation().reason().equals(APPLIED)) {
      events.warningUnlessReported(context.job(), desired.observation());
    }
    return desired.observation();
  }

  /** The parties file and what the condition will say about it. */
  record Desired(ConfigMap file, Observation observation) {}

  /** The parties file of a Flotilla server from the jobs of its namespace (and a member's Federations, from the cache). */
  Desired desired(JobModel server, Collection<IflearnerJob> namespaceJobs) {
    SortedSet<String> local = PartiesModel.parties(server, namespaceJobs, hosts, proofs);
    Optional<FederationHost> host = HostAdmission.admitted(server, hosts);
    Admission admission = followFederations && host.isPresent()
        ? FederationParties.of(host.get().domain(), observed.federations(), local) : null;
    return new Desired(PartiesModel.configMap(server, admission == null ? local : admission.allowList()),
        observation(server, admission == null ? local : admission.local(), admission));
  }

  /** What the condition says: how many names from where, and what the Federation side refused. Pure. */
  static Observation observation(JobModel server, Collection<String> local, Admission admission) {
    StringBuilder message = new StringBuilder("ConfigMap " + PartiesModel.configMapName(server) + " lists "
        + count(local.size()) + " of the namespace's jobs");
    if (admission != null && admission.federation() != null) {
      message.append(" and ").append(count(admission.members().size())).append(" of Federation ").append(admission.federation());
      if (!admission.members().isEmpty()) {
        message.append(" (").append(first(admission.members(), ", ")).append(')');
      }
    }
    message.append("; revocation list ConfigMap ").append(RevocationListModel.configMapName(server.domain())).append(" in place");
    boolean refused = admission != null && !admission.refusals().isEmpty();
    if (refused) {
      message.append("; refused: ").append(first(admission.refusals(), "; "));
    }
    return new Observation(StatusModel.PARTIES_FILE_READY, true, refused ? MEMBERS_REFUSED : APPLIED, message.toString());
  }

  /** The first {@value #LISTED} of {@code items} and how many more: a condition message stays short whatever the Federation holds. */
  private static String first(Collection<String> items, String separator) {
    String listed = String.join(separator, items.stream().limit(LISTED).toList());
    return items.size() <= LISTED ? listed : listed + separator + "and " + (items.size() - LISTED) + " more";
  }

  private static String count(int n) {
    return n + (n == 1 ? " party" : " parties");
  }
}
