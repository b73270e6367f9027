package dev.flotilla.certs;

import java.time.Duration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a CA agrees to sign from a CSR: identities of one trust domain (optionally one job), which
 * roles, and how long. A CSR must ask for exactly one identity URI of the role it is signed as;
 * its DNS names must lie in that role's zone ({@link Identity#checkDnsName}); IP addresses and
 * other SANs are never signed. Anything else is refused with a message naming the offending field.
 */
public final class SigningPolicy {
  private final String trustDomain;
  private final String job;
  private final Set<Role> roles;
  private final Duration maxLifetime;

  private SigningPolicy(String trustDomain, String job, Set<Role> roles, Duration maxLifetime) {
    this.trustDomain = trustDomain;
    this.job = job;
    this.roles = roles;
    this.maxLifetime = maxLifetime;
  }

  /** Signs identities of {@code trustDomain}, any job, any role, for at most 397 days. */
  public static SigningPolicy forTrustDomain(String trustDomain) {
    // validates the domain the same way an identity's is validated
    Identity.ingress(trustDomain, "probe");
    return new SigningPolicy(trustDomain, null, EnumSet.allOf(Role.class), Duration.ofDays(397));
  }

  public SigningPolicy onlyRoles(Role first, Role... more) {
    return new SigningPolicy(trustDomain, job, EnumSet.of(first, more), maxLifetime);
  }

  /** Signs identities of this job only (servers and parties; cluster roles belong to no job and are refused). */
  public SigningPolicy onlyJob(String job) {
    return new SigningPolicy(trustDomain, Identity.party(trustDomain, job, "probe").job(), roles, maxLifetime);
  }

  public SigningPolicy maxLifetime(Duration max) {
    return new SigningPolicy(trustDomain, job, roles, max);
  }

  /**
   * Checks the CSR against this policy and returns the leaf request to sign: the CSR's identity,
   * its DNS names, the role's usages. Throws {@link PkiException} naming what is refused. Signs nothing: a caller
   * with checks of its own makes them on the returned identity before it asks the CA to sign.
   */
  public LeafRequest check(CertificateSigningRequest csr, Role role, Duration lifetime) {
    if (!csr.signatureIsValid()) {
      throw new PkiException("CSR signature does not verify (tampered with, or not signed by its own key)");
    }
    if (!roles.contains(role)) {
      throw new PkiException("role " + role.pathSegment() + " is not allowed by this signing policy");
    }
    if (lifetime.compareTo(maxLifetime) > 0) {
      throw new PkiException("lifetime " + lifetime.toDays() + " days exceeds the policy maximum of "
          + maxLifetime.toDays() + " days");
    }
    List<String> sans = csr.subjectAltNames();
    List<String> uris = sans.stream().filter(s -> s.startsWith("URI:")).map(s -> s.substring(4)).toList();
    if (uris.size() != 1) {
      throw new PkiException("CSR carries " + uris.size() + " URI SANs; it must ask for exactly one identity, "
          + "spiffe://" + trustDomain + "/job/<job>/" + role.pathSegment() + "/<name> (make it with 'certs csr')");
    }
    Identity identity = Identity.parse(uris.get(0));
    if (identity.role() != role) {
      throw new PkiException("CSR asks for the " + identity.role().pathSegment() + " identity " + identity
          + " but is being signed as role " + role.pathSegment());
    }
    if (!identity.trustDomain().equals(trustDomain)) {
      throw new PkiException("CSR asks for identity " + identity + " outside the trust domain " + trustDomain);
    }
    if (job != null && !job.equals(identity.job())) {
      throw new PkiException("CSR asks for identity " + identity + ", which is not of job " + job);
    }
    String cn = csr.commonName();
    if (!cn.isEmpty() && !cn.equals(identity.name())) {
      throw new PkiException("CSR common name '" + Identity.printable(cn) + "' differs from its identity's name '"
          + identity.name() + "'");
    }
    LeafRequest.Builder builder = LeafRequest.builder(identity).keyType(KeyType.of(csr.publicKey())).lifetime(lifetime);
    for (String san : sans) {
      if (san.startsWith("DNS:")) {
        try {
          builder.dnsNames(san.substring(4));
        } catch (PkiException e) {
          throw new PkiException("SAN " + Identity.printable(san) + " refused: " + e.getMessage(), e);
        }
      } else if (!san.startsWith("URI:")) {
        throw new PkiException("SAN " + Identity.printable(san) + " is not allowed: only DNS names and the identity URI are signed");
      }
    }
    Set<String> allowedUsages = new HashSet<>();
    role.extendedKeyUsages(false).forEach(k -> allowedUsages.add(k.getId()));
    for (String eku : csr.requestedExtendedKeyUsages()) {
      if (!allowedUsages.contains(eku)) {
        throw new PkiException("extended key usage " + eku + " requested in the CSR is not allowed for role "
            + role.pathSegment());
      }
    }
    return builder.build();
  }
}
