package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.StatusModel.Observation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What a client job's pods claim in its namespace: their pod names (and certificate Secrets {@code <pod>-tls}),
 * and in its federation job their party hosts: its party, or with spec.virtualPartyPods N the hosts
 * {@code <party>-p0 .. <party>-p<N-1>} ({@link VirtualPartiesModel#hostName}). Each host is one identity
 * ({@code spiffe://<domain>/job/<job>/party/<host>...}) and one set of names in the aggregator's allow-list. With
 * N pods, another job can claim the same: party {@code x-p1} against pod 1 of party {@code x}, or a job named
 * {@code <job>-p1} against pod 1 of job {@code <job>}. Of two such jobs, the one that claimed the shared name first
 * keeps it: an accepted job records what it holds in status.claims ({@link #claims}) with the controller's proof
 * ({@link ClaimProof}), so a job scaling onto a host another job holds is the one refused, however old it is. Claims
 * without a valid proof (written by whoever may edit the status) hold nothing; of two jobs proven to hold a name (one
 * replaying claims from before it let the name go) the later grant keeps it. Only when neither holds it (two new jobs)
 * does the earlier creation (then namespace/name) decide. The other is refused with {@value #TAKEN}, naming both. Jobs with
 * the same spec.host are left to the DNS name claim, as before. Pure.
 */
public final class PodHostClaims {

  public static final String TAKEN = "PodHostTaken";
  private static final String POD = "pod/";
  private static final String HOST = "host/";

  private PodHostClaims() {}

  /**
   * The refusal of {@code job} when a job of {@code namespaceJobs} that claimed first claims one of its names, else empty;
   * {@code proofs} is asked only when some job shares a name with it.
   */
  public static Optional<Observation> refusal(JobModel job, Collection<IflearnerJob> namespaceJobs,
      Supplier<ClaimProof> proofs) {
    if (Claim.of(job, ClaimProof.NONE).filter(c -> !overlapping(c, namespaceJobs, ClaimProof.NONE).isEmpty()).isEmpty()) {
      return Optional.empty(); // nothing shared: no proof to read
    }
    ClaimProof proof = proofs.get();
    Optional<Claim> mine = Claim.of(job, proof);
    if (mine.isEmpty()) {
      return Optional.empty();
    }
    return overlapping(mine.get(), namespaceJobs, proof).stream()
        .filter(other -> other.precedes(mine.get()))
        .min(ORDER)
        .map(earlier -> new Observation(StatusModel.VIRTUAL_PARTIES_ACCEPTED, false, TAKEN, message(mine.get(), earlier)));
  }

  /** What {@code job}, accepted, holds for status.claims: {@code pod/<name>} per pod, {@code host/<host>} per party host. */
  public static List<String> claims(JobModel job) {
    return Claim.of(job, ClaimProof.NONE).map(Claim::names).orElse(List.of());
  }

  /** {@code namespace/name} of the jobs of {@code all} whose hosts overlap {@code changed}'s, for {@link RelatedJobs}. */
  static List<String> overlappingKeys(IflearnerJob changed, Collection<IflearnerJob> all) {
    return Claim.of(changed, ClaimProof.NONE)
        .map(c -> overlapping(c, all, ClaimProof.NONE).stream().map(o -> o.job().ref()).toList()).orElse(List.of());
  }

  private static List<Claim> overlapping(Claim mine, Collection<IflearnerJob> jobs, ClaimProof proofs) {
    List<Claim> out = new ArrayList<>();
    for (IflearnerJob candidate : jobs) {
      Claim.of(candidate, proofs).filter(other -> mine.collidesWith(other)).ifPresent(out::add);
    }
    return out;
  }

  private static String message(Claim mine, Claim first) {
    Optional<String> pod = mine.podNames().stream().filter(first.podNames()::contains).findFirst();
    String what = pod.isPresent() ? "pod " + pod.get() + " (and its Secret " + pod.get() + "-tls)"
        : "party host " + mine.hosts().stream().filter(first.hosts()::contains).findFirst().orElseThrow() + " of job "
            + first.job().identityJob() + " in " + mine.job().domain();
    String why = first.holdsAnyOf(mine) ? "which holds it" : "created earlier";
    return what + " is claimed by " + describe(mine) + " and by " + describe(first) + ", " + why + ": one name is "
        + "one pod and one identity; rename one job or party, or change spec.virtualPartyPods";
  }

  private static String describe(Claim claim) {
    JobModel job = claim.job();
    Integer pods = job.spec().getVirtualPartyPods();
    return job.ref() + " (party " + job.identityName() + (job.podIndexed() ? ", spec.virtualPartyPods " + pods : "") + ")";
  }

  /** Earlier creation first, then namespace/name; a job without a timestamp (not yet stored) sorts last. */
  private static final Comparator<Claim> ORDER = Comparator
      .comparing((Claim c) -> Optional.ofNullable(c.job().job().getMetadata().getCreationTimestamp()).orElse("~"))
      .thenComparing(c -> c.job().ref());

  /**
   * One job's pod names in its namespace, and its party hosts in its federation job (none without a federation host);
   * {@code held}: what its status proves it holds.
   */
  private record Claim(JobModel job, List<String> podNames, List<String> hosts, Optional<ClaimProof.Held> held) {

    static Optional<Claim> of(IflearnerJob job, ClaimProof proofs) {
      if (job.getSpec() == null || job.getSpec().getRole() != Role.CLIENT || job.getMetadata().getDeletionTimestamp() != null) {
        return Optional.empty();
      }
      try {
        return of(new JobModel(job), proofs);
      } catch (IllegalArgumentException e) {
        return Optional.empty(); // not a runnable job: its own reconcile says why; it claims nothing
      }
    }

    static Optional<Claim> of(JobModel job, ClaimProof proofs) {
      if (job.role() != Role.CLIENT || !VirtualPartiesCheck.problems(job).isEmpty()) {
        return Optional.empty(); // refused for its virtual parties (so also for a pod count out of bounds): no pods
      }
      List<String> podNames = job.pods().stream().map(JobModel::podName).toList();
      // without a federation host the identity's job is the object's own name, which no other job shares
      List<String> hosts = job.federationHost().isEmpty() ? List.of() : job.pods().stream()
          .map(pod -> VirtualPartiesModel.hostName(job.identityName(), pod.podIndex())).toList();
      return Optional.of(new Claim(job, podNames, hosts, proofs.held(job.job())));
    }

    boolean collidesWith(Claim other) {
      return !shared(other).isEmpty();
    }

    /** The names of status.claims this job and {@code other} both claim (none when they do not collide). */
    List<String> shared(Claim other) {
      if (job.ref().equals(other.job.ref()) || !job.podIndexed() && !other.job.podIndexed()) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      if (job.namespace().equals(other.job.namespace())) {
        podNames.stream().filter(other.podNames::contains).map(name -> POD + name).forEach(out::add);
      }
      if (!hosts.isEmpty() && !other.hosts.isEmpty() && !Objects.equals(job.host(), other.job.host())
          && job.identityJob().equals(other.job.identityJob()) && job.domain().equals(other.job.domain())) {
        hosts.stream().filter(other.hosts::contains).map(host -> HOST + host).forEach(out::add);
      }
      return out;
    }

    /** Whether this job's status proves it holds a name it shares with {@code other}. */
    boolean holdsAnyOf(Claim other) {
      return held.isPresent() && shared(other).stream().anyMatch(held.get().names()::contains);
    }

    /**
     * Whether this job keeps a name it shares with {@code other}: it holds it and the other does not; when both do, the
     * later grant (the other let it go before this one took it); when neither does, the older job.
     */
    boolean precedes(Claim other) {
      boolean mine = holdsAnyOf(other);
      boolean theirs = other.holdsAnyOf(this);
      if (mine && theirs && !held.get().since().equals(other.held.get().since())) {
        return held.get().since().isAfter(other.held.get().since());
      }
      return mine != theirs ? mine : ORDER.compare(this, other) < 0;
    }

    List<String> names() {
      List<String> out = new ArrayList<>();
      podNames.stream().map(name -> POD + name).forEach(out::add);
      hosts.stream().map(host -> HOST + host).forEach(out::add);
      return out;
    }
  }
}
