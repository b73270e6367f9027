package dev.flotilla.certs;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a CA agrees to sign from a CSR: which roles, which names (DNS names under one allowed
 * domain, or any names), and how long. Anything else is refused with a message naming the
 * offending SAN or field.
 */
public final class SigningPolicy {
  private final String allowedDomain;
  private final Set<Role> roles;
  private final Duration maxLifetime;

  private SigningPolicy(String allowedDomain, Set<Role> roles, Duration maxLifetime) {
    this.allowedDomain = allowedDomain;
    this.roles = roles;
    this.maxLifetime = maxLifetime;
  }

  /** Signs DNS names under {@code domain} only (the domain itself, {@code x.domain}, {@code *.x.domain}); no IP SANs. */
  public static SigningPolicy namesUnder(String domain) {
    return new SigningPolicy(Names.checkDnsName(domain), EnumSet.allOf(Role.class), Duration.ofDays(397));
  }

  /** Signs any well-formed DNS name and IP address: for an operator signing by hand. */
  public static SigningPolicy anyName() {
    return new SigningPolicy(null, EnumSet.allOf(Role.class), Duration.ofDays(397));
  }

  public SigningPolicy onlyRoles(Role first, Role... more) {
    return new SigningPolicy(allowedDomain, EnumSet.of(first, more), maxLifetime);
  }

  public SigningPolicy maxLifetime(Duration max) {
    return new SigningPolicy(allowedDomain, roles, max);
  }

  /**
   * Checks the CSR against this policy and returns the leaf request to sign: the CSR's CN and SANs,
   * the role's usages and identity URI. Throws {@link PkiException} naming what is refused.
   */
  LeafRequest check(CertificateSigningRequest csr, Role role, Duration lifetime) {
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
    String cn = csr.commonName();
    if (cn.isEmpty()) {
      throw new PkiException("CSR has no common name (CN)");
    }
    Names.checkCommonName(cn);
    List<String> dns = new ArrayList<>();
    List<String> ips = new ArrayList<>();
    String uri = null;
    for (String san : csr.subjectAltNames()) {
      if (san.startsWith("DNS:")) {
        String name = san.substring(4);
        try {
          Names.checkDnsName(name);
        } catch (PkiException e) {
          throw new PkiException("SAN " + san + " is not a valid DNS name");
        }
        if (allowedDomain != null && !Names.isUnder(name.toLowerCase(Locale.ROOT), allowedDomain)) {
          throw new PkiException("SAN " + san + " is outside the allowed domain " + allowedDomain);
        }
        dns.add(name);
      } else if (san.startsWith("IP:")) {
        if (allowedDomain != null) {
          throw new PkiException("SAN " + san + " is not allowed: the policy allows only DNS names under " + allowedDomain);
        }
        ips.add(san.substring(3));
      } else if (san.startsWith("URI:")) {
        uri = checkUri(san, role, cn);
      } else {
        throw new PkiException("SAN " + san + " is not allowed: only DNS, IP and the identity URI are signed");
      }
    }
    Set<String> allowedUsages = new java.util.HashSet<>();
    role.extendedKeyUsages(false).forEach(k -> allowedUsages.add(k.getId()));
    for (String eku : csr.requestedExtendedKeyUsages()) {
      if (!allowedUsages.contains(eku)) {
        throw new PkiException("extended key usage " + eku + " requested in the CSR is not allowed for role "
            + role.pathSegment());
      }
    }
    LeafRequest.Builder builder = LeafRequest.builder(role, cn)
        .dnsNames(dns.toArray(String[]::new))
        .ipAddresses(ips.toArray(String[]::new))
        .keyType(KeyType.of(csr.publicKey()))
        .lifetime(lifetime);
    if (uri != null) {
      builder.uri(uri);
    } else {
      String domain = Names.identityDomain(role, dns, allowedDomain != null ? allowedDomain : "local");
      builder.uri(role.identityUri(domain, cn));
    }
    return builder.build();
  }

  private String checkUri(String san, Role role, String cn) {
    String value = san.substring(4);
    try {
      URI uri = new URI(value);
      boolean shapeOk = "spiffe".equals(uri.getScheme()) && uri.getHost() != null
          && ("/" + role.pathSegment() + "/" + cn).equals(uri.getPath());
      if (!shapeOk) {
        throw new PkiException("SAN " + san + " is not allowed: the identity URI must be spiffe://<domain>/"
            + role.pathSegment() + "/" + cn);
      }
      if (allowedDomain != null && !Names.isUnder(uri.getHost().toLowerCase(Locale.ROOT), allowedDomain)) {
        throw new PkiException("SAN " + san + " is outside the allowed domain " + allowedDomain);
      }
      return value;
    } catch (URISyntaxException e) {
      throw new PkiException("SAN " + san + " is not a valid URI");
    }
  }
}
