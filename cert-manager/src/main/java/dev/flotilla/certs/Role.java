package dev.flotilla.certs;

import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * What a leaf certificate is for, which fixes its extended key usages and its identity URI.
 * A party gets both clientAuth and serverAuth because parties also serve their peers
 * (see {@link LeafRequest.Builder#clientOnly()} for a party that never serves).
 */
public enum Role {
  /** An aggregator server: serverAuth. */
  SERVER("server"),
  /** A party: clientAuth + serverAuth. */
  PARTY("party");

  private final String pathSegment;

  Role(String pathSegment) {
    this.pathSegment = pathSegment;
  }

  /** The segment in the identity URI {@code spiffe://<domain>/<segment>/<name>} and in DNS names {@code *.<segment>.<domain>}. */
  public String pathSegment() {
    return pathSegment;
  }

  /** The identity URI of a holder of this role: {@code spiffe://<domain>/<role>/<name>}. */
  public String identityUri(String domain, String name) {
    return "spiffe://" + domain + "/" + pathSegment + "/" + name;
  }

  Set<KeyPurposeId> extendedKeyUsages(boolean clientOnly) {
    if (this == SERVER) {
      return Set.of(KeyPurposeId.id_kp_serverAuth);
    }
    return clientOnly
        ? Set.of(KeyPurposeId.id_kp_clientAuth)
        : Set.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
  }

  /** Parses {@code server} or {@code party}, case-insensitive. */
  public static Role fromCliName(String name) {
    for (Role role : values()) {
      if (role.pathSegment.equalsIgnoreCase(name)) {
        return role;
      }
    }
    throw new PkiException("unknown role '" + name + "' (expected server or party)");
  }
}
