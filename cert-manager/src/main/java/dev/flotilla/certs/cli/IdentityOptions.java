package dev.flotilla.certs.cli;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.Role;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The identity a certificate or CSR is for, and its DNS names: shared by 'issue' and 'csr'. */
final class IdentityOptions {
  @Option(names = "--role", required = true)
  Role role;

  @Option(names = "--domain", required = true)
  String domain;

  @Option(names = "--job")
  String job;

  @Option(names = "--name", required = true)
  String name;

  @Option(names = "--virtual-parties")
  int virtualParties;

  @Option(names = "--dns", arity = "1..*")
  List<String> dns = new ArrayList<>();

  Identity identity() {
    if (role.jobBound() && job == null) {
      throw new IllegalArgumentException("--job is required for role " + role.pathSegment());
    }
    return new Identity(domain, role, role.jobBound() ? job : null, name, virtualParties);
  }

  /** The DNS names given, else the conventional host of the identity. */
  List<String> dnsNames(Identity identity) {
    if (!dns.isEmpty()) {
      return dns;
    }
    return switch (identity.role()) {
      case SERVER -> List.of(identity.serverHost());
      case PARTY -> List.of(identity.job() + "." + identity.name() + ".party." + identity.trustDomain());
      case INGRESS, CONTROLLER -> List.of();
    };
  }
}
