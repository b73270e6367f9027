package dev.flotilla.certs;

import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What a leaf certificate is for. The role fixes the certificate's extended key usages, the shape
 * of its identity URI (see {@link Identity}) and which DNS names it may carry.
 *
 * <p>Servers and parties belong to one job; an ingress and a controller serve every job of their
 * trust domain. A party gets both clientAuth and serverAuth because parties also serve their
 * peers; that is safe because no peer accepts a party identity where it expects a server.
 */
public enum Role {
  /** The aggregator of one job: serverAuth; DNS names under {@code .server.<trust-domain>}. */
  SERVER("server", true),
  /** A party of one job: clientAuth + serverAuth; DNS names under {@code .party.<trust-domain>}. */
  PARTY("party", true),
  /** A TLS-terminating ingress that forwards parties' certificates to aggregators: clientAuth, no DNS names. */
  INGRESS("ingress", false),
  /** The controller, reading aggregators' status: clientAuth, no DNS names. */
  CONTROLLER("controller", false);

  private final String pathSegment;
  private final boolean jobBound;

  Role(String pathSegment, boolean jobBound) {
    this.pathSegment = pathSegment;
    this.jobBound = jobBound;
  }

  /** The role's segment in the identity URI and in DNS names {@code *.<segment>.<trust-domain>}. */
  public String pathSegment() {
    return pathSegment;
  }

  /** True for roles that belong to one job (server, party): their identity names the job. */
  public boolean jobBound() {
    return jobBound;
  }

  /** True for roles whose certificates may carry DNS names (a server's or party's host). */
  public boolean hasDnsNames() {
    return jobBound;
  }

  Set<KeyPurposeId> extendedKeyUsages(boolean clientOnly) {
    return switch (this) {
      case SERVER -> Set.of(KeyPurposeId.id_kp_serverAuth);
      case PARTY -> clientOnly
          ? Set.of(KeyPurposeId.id_kp_clientAuth)
          : Set.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
      case INGRESS, CONTROLLER -> Set.of(KeyPurposeId.id_kp_clientAuth);
    };
  }

  /** Parses {@code server}, {@code party}, {@code ingress} or {@code controller}, case-insensitive. */
  public static Role fromCliName(String name) {
    for (Role role : values()) {
      if (role.pathSegment.equalsIgnoreCase(name)) {
        return role;
      }
    }
    throw new PkiException("unknown role '" + name + "' (expected server, party, ingress or controller)");
  }

  /** The role whose identity-URI segment is exactly {@code segment}, or null. */
  static Role ofPathSegment(String segment) {
    for (Role role : values()) {
      if (role.pathSegment.equals(segment)) {
        return role;
      }
    }
    return null;
  }
}
