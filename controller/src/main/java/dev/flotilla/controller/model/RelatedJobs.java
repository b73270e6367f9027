package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.Role;
import dev.flotilla.dns.DnsRecord;
import dev.flotilla.dns.FederationHost;
import dev.flotilla.dns.HostRole;
import dev.flotilla.dns.InvalidRecordException;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The other jobs whose reconcile outcome depends on a job that changed, so a change to one is
 * seen by them at once rather than at the next resync: the Flotilla server of a party job (its
 * parties file lists the party), jobs with the same host (one of them may be waiting for the
 * name this one holds), and jobs claiming one of its party pod hosts ({@link PodHostClaims}). Pure.
 */
public final class RelatedJobs {

  private RelatedJobs() {}

  /** {@code namespace/name} keys of the jobs in {@code all} that depend on {@code changed} (never {@code changed} itself). */
  public static SortedSet<String> of(IflearnerJob changed, Collection<IflearnerJob> all) {
    SortedSet<String> keys = new TreeSet<>();
    Optional<String> host = host(changed);
    if (host.isEmpty()) {
      return keys;
    }
    keys.addAll(PodHostClaims.overlappingKeys(changed, all));
    Optional<FederationHost> party = FederationHost.parse(host.get()).filter(h -> h.role() == HostRole.PARTY);
    for (IflearnerJob other : all) {
      if (sameObject(changed, other) || other.getSpec() == null) {
        continue;
      }
      Optional<String> otherHost = host(other);
      if (otherHost.isEmpty()) {
        continue;
      }
      if (otherHost.get().equals(host.get())) {
        keys.add(key(other));
      } else if (party.isPresent() && changed.getSpec().getRole() == Role.CLIENT && other.getSpec().getRole() == Role.SERVER
          && Objects.equals(other.getMetadata().getNamespace(), changed.getMetadata().getNamespace())) {
        FederationHost p = party.get();
        FederationHost.parse(otherHost.get())
            .filter(s -> s.role() == HostRole.SERVER && s.job().equals(p.job()) && s.domain().equals(p.domain()))
            .ifPresent(s -> keys.add(key(other)));
      }
    }
    return keys;
  }

  private static Optional<String> host(IflearnerJob job) {
    if (job.getSpec() == null || job.getSpec().getHost() == null || job.getSpec().getHost().isBlank()
        || job.getSpec().getHost().length() > 300) {
      return Optional.empty();
    }
    try {
      return Optional.of(DnsRecord.normaliseHost(job.getSpec().getHost()));
    } catch (InvalidRecordException e) {
      return Optional.empty();
    }
  }

  private static boolean sameObject(IflearnerJob a, IflearnerJob b) {
    return Objects.equals(a.getMetadata().getNamespace(), b.getMetadata().getNamespace())
        && Objects.equals(a.getMetadata().getName(), b.getMetadata().getName());
  }

  private static String key(IflearnerJob job) {
    return job.getMetadata().getNamespace() + "/" + job.getMetadata().getName();
  }
}
