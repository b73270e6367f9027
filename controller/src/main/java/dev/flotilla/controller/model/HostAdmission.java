package dev.flotilla.controller.model;

import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.dns.FederationHost;
import dev.flotilla.dns.HostPolicy;
import dev.flotilla.dns.HostRole;
import dev.flotilla.dns.HostVerdict;
import java.util.Locale;
import java.util.Optional;

/**
 * Whether the controller serves a job at all: its host must fit its role (a client
 * {@code <job>.<party>.party.<domain>}, a server {@code <job>.server.<domain>}), pass the name
 * rules of {@link HostPolicy}, and agree with {@code spec.domain} when that is given. A job that
 * does not gets no certificate, Service, route, Pod or DNS record: only the {@value StatusModel#HOST_ACCEPTED}
 * condition saying why. Pure.
 */
public final class HostAdmission {

  public static final String ACCEPTED = "Accepted";
  public static final String HOST_INVALID = "HostInvalid";
  public static final String HOST_RESERVED = "HostReserved";
  public static final String HOST_DOES_NOT_FIT_ROLE = "HostDoesNotFitRole";
  public static final String DOMAIN_NOT_ALLOWED = "DomainNotAllowed";
  public static final String DOMAIN_MISMATCH = "DomainMismatch";

  private HostAdmission() {}

  /** The host's parts when the job is admitted, else empty. */
  public static Optional<FederationHost> admitted(JobModel job, HostPolicy policy) {
    HostVerdict verdict = policy.check(job.spec().getHost(), hostRole(job.role()));
    if (verdict instanceof HostVerdict.Accepted a && domainAgrees(job, a.host())) {
      return Optional.of(a.host());
    }
    return Optional.empty();
  }

  /** The {@value StatusModel#HOST_ACCEPTED} observation: True with the host's parts, or False with the rule it breaks. */
  public static Observation observe(JobModel job, HostPolicy policy) {
    String role = "spec.role " + job.role().wireName();
    HostVerdict verdict = policy.check(job.spec().getHost(), hostRole(job.role()));
    if (verdict instanceof HostVerdict.Refused r) {
      String message = role + ": " + r.message();
      if (r.reason() == HostVerdict.Reason.DOMAIN_NOT_ALLOWED) {
        message += " (the controller's --allowed-domain)";
      }
      return new Observation(StatusModel.HOST_ACCEPTED, false, reason(r.reason()), message);
    }
    FederationHost host = ((HostVerdict.Accepted) verdict).host();
    if (!domainAgrees(job, host)) {
      return new Observation(StatusModel.HOST_ACCEPTED, false, DOMAIN_MISMATCH, "spec.domain '" + job.spec().getDomain()
          + "' differs from the domain of spec.host '" + host.host() + "' (" + host.domain()
          + "); identities and names must agree: drop spec.domain or make it " + host.domain());
    }
    String what = host.role() == HostRole.SERVER
        ? "server of job " + host.job()
        : "party " + host.party() + " of job " + host.job();
    return new Observation(StatusModel.HOST_ACCEPTED, true, ACCEPTED, host.host() + ": " + what + " in domain " + host.domain());
  }

  private static boolean domainAgrees(JobModel job, FederationHost host) {
    String specDomain = job.spec().getDomain();
    if (specDomain == null || specDomain.isBlank()) {
      return true;
    }
    String d = specDomain.trim().toLowerCase(Locale.ROOT);
    return (d.endsWith(".") ? d.substring(0, d.length() - 1) : d).equals(host.domain());
  }

  static HostRole hostRole(Role role) {
    return role == Role.SERVER ? HostRole.SERVER : HostRole.PARTY;
  }

  private static String reason(HostVerdict.Reason reason) {
    return switch (reason) {
      case INVALID -> HOST_INVALID;
      case RESERVED -> HOST_RESERVED;
      case ROLE_MISFIT -> HOST_DOES_NOT_FIT_ROLE;
      case DOMAIN_NOT_ALLOWED -> DOMAIN_NOT_ALLOWED;
    };
  }
}
