package dev.flotilla.certs;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * What a leaf certificate should say: its {@link Identity} (the one URI SAN; its name is also the
 * CN), the DNS names its role allows, lifetime and key type. Built with {@link #builder(Identity)};
 * every name is checked against the identity's role when added, so a party certificate can never
 * carry an aggregator's host name. Certificates carry no IP addresses: clients that connect by
 * address verify the server against its host name (SNI), as through an SNI-routing ingress.
 */
public final class LeafRequest {
  /** Default lifetime of a leaf certificate. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofDays(90);

  private final Identity identity;
  private final List<String> dnsNames;
  private final Duration lifetime;
  private final KeyType keyType;
  private final boolean clientOnly;

  private LeafRequest(Builder b) {
    this.identity = b.identity;
    this.dnsNames = List.copyOf(b.dnsNames);
    this.lifetime = b.lifetime;
    this.keyType = b.keyType;
    this.clientOnly = b.clientOnly;
  }

  public static Builder builder(Identity identity) {
    return new Builder(identity);
  }

  public Identity identity() {
    return identity;
  }

  public Role role() {
    return identity.role();
  }

  /** The subject CN: the identity's name (informational; peers read the identity URI only). */
  public String commonName() {
    return identity.name();
  }

  public List<String> dnsNames() {
    return dnsNames;
  }

  /** The identity URI SAN, e.g. {@code spiffe://example.org/job/mnist/party/alice}. */
  public String uri() {
    return identity.uri();
  }

  public Duration lifetime() {
    return lifetime;
  }

  public KeyType keyType() {
    return keyType;
  }

  /** True for a party certificate with clientAuth only (a party that never serves its peers). */
  public boolean clientOnly() {
    return clientOnly;
  }

  /** A builder preset with everything of this request, to reissue it (renewal) with changes. */
  public Builder toBuilder() {
    Builder b = new Builder(identity)
        .dnsNames(dnsNames.toArray(String[]::new))
        .lifetime(lifetime)
        .keyType(keyType);
    b.clientOnly = clientOnly;
    return b;
  }

  @Override
  public String toString() {
    return "LeafRequest{" + identity + ", dns=" + dnsNames + ", lifetime=" + lifetime + ", " + keyType
        + (clientOnly ? ", clientOnly" : "") + "}";
  }

  public static final class Builder {
    private final Identity identity;
    private final LinkedHashSet<String> dnsNames = new LinkedHashSet<>();
    private Duration lifetime = DEFAULT_LIFETIME;
    private KeyType keyType = KeyType.EC_P256;
    private boolean clientOnly;

    private Builder(Identity identity) {
      this.identity = Objects.requireNonNull(identity, "identity");
    }

    /**
     * DNS SANs within the identity's role zone ({@link Identity#checkDnsName}); a wildcard is
     * allowed as the leftmost label ({@code *.server.example.org}). Adds to earlier calls.
     */
    public Builder dnsNames(String... names) {
      Arrays.stream(names).map(identity::checkDnsName).forEach(dnsNames::add);
      return this;
    }

    public Builder lifetime(Duration lifetime) {
      if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
        throw new PkiException("certificate lifetime must be positive, was " + lifetime);
      }
      this.lifetime = lifetime;
      return this;
    }

    public Builder keyType(KeyType keyType) {
      this.keyType = Objects.requireNonNull(keyType, "keyType");
      return this;
    }

    /** Party only: clientAuth without serverAuth, for a party that never serves its peers. */
    public Builder clientOnly() {
      if (identity.role() != Role.PARTY) {
        throw new PkiException("clientOnly applies to the party role, not " + identity.role().pathSegment());
      }
      this.clientOnly = true;
      return this;
    }

    public LeafRequest build() {
      return new LeafRequest(this);
    }
  }
}
