package dev.flotilla.certs.cli;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.Role;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The identity a certificate or CSR is for, and its DNS names: shared by 'issue' and 'csr'. */
final class IdentityOptions {
  @Option(names = "--role", required = true, paramLabel = "ROLE", converter = Options.RoleConverter.class,
      description = "server, party, ingress (a TLS-terminating proxy) or controller.")
  Role role;

  @Option(names = "--domain", required = true, paramLabel = "DOMAIN",
      description = "The federation's trust domain, e.g. fl.example.org: the identity is spiffe://DOMAIN/...")
  String domain;

  @Option(names = "--job", paramLabel = "JOB",
      description = "The job a server or party belongs to (required for those roles; none for ingress and controller).")
  String job;

  @Option(names = "--name", required = true, paramLabel = "NAME",
      description = "Name of the holder (a DNS label; also the CN). By convention a server is named after its job.")
  String name;

  @Option(names = "--dns", arity = "1..*", paramLabel = "NAME",
      description = "DNS names within the role's zone (default for a server: JOB.server.DOMAIN; for a party: "
          + "JOB.NAME.party.DOMAIN; ingress and controller certificates carry none).")
  List<String> dns = new ArrayList<>();

  Identity identity() {
    if (role.jobBound() && job == null) {
      throw new IllegalArgumentException("--job is required for role " + role.pathSegment());
    }
    return new Identity(domain, role, role.jobBound() ? job : null, name);
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
