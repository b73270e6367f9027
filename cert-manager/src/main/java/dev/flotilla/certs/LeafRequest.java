package dev.flotilla.certs;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a leaf certificate should say: role, common name, SANs, lifetime and key type. Built with
 * {@link #builder(Role, String)}; every name is validated when built.
 *
 * <p>Unless {@link Builder#uri(String)} is given, the certificate carries the identity URI
 * {@code spiffe://<domain>/<role>/<name>}, the domain taken from a DNS name shaped like
 * {@code <x>.<role>.<domain>} (for example {@code *.party.example.org} gives {@code example.org}).
 */
public final class LeafRequest {
  /** Default lifetime of a leaf certificate. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofDays(90);

  private final Role role;
  private final String commonName;
  private final List<String> dnsNames;
  private final List<String> ipAddresses;
  private final String uri;
  private final Duration lifetime;
  private final KeyType keyType;
  private final boolean clientOnly;

  private LeafRequest(Builder b) {
    this.role = b.role;
    this.commonName = b.commonName;
    this.dnsNames = List.copyOf(b.dnsNames);
    this.ipAddresses = List.copyOf(b.ipAddresses);
    this.uri = b.uri != null
        ? b.uri
        : role.identityUri(Names.identityDomain(role, dnsNames, "local"), commonName);
    this.lifetime = b.lifetime;
    this.keyType = b.keyType;
    this.clientOnly = b.clientOnly;
  }

  public static Builder builder(Role role, String commonName) {
    return new Builder(role, commonName);
  }

  public Role role() {
    return role;
  }

  public String commonName() {
    return commonName;
  }

  public List<String> dnsNames() {
    return dnsNames;
  }

  public List<String> ipAddresses() {
    return ipAddresses;
  }

  /** The identity URI SAN, e.g. {@code spiffe://example.org/party/alice}. */
  public String uri() {
    return uri;
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
    Builder b = new Builder(role, commonName)
        .dnsNames(dnsNames.toArray(String[]::new))
        .ipAddresses(ipAddresses.toArray(String[]::new))
        .uri(uri)
        .lifetime(lifetime)
        .keyType(keyType);
    b.clientOnly = clientOnly;
    return b;
  }

  @Override
  public String toString() {
    return "LeafRequest{" + role + " " + commonName + ", dns=" + dnsNames + ", ip=" + ipAddresses
        + ", uri=" + uri + ", lifetime=" + lifetime + ", " + keyType + (clientOnly ? ", clientOnly" : "") + "}";
  }

  public static final class Builder {
    private final Role role;
    private final String commonName;
    private final LinkedHashSet<String> dnsNames = new LinkedHashSet<>();
    private final LinkedHashSet<String> ipAddresses = new LinkedHashSet<>();
    private String uri;
    private Duration lifetime = DEFAULT_LIFETIME;
    private KeyType keyType = KeyType.EC_P256;
    private boolean clientOnly;

    private Builder(Role role, String commonName) {
      this.role = Objects.requireNonNull(role, "role");
      this.commonName = Names.checkCommonName(commonName);
    }

    /** DNS SANs, wildcards allowed as the leftmost label ({@code *.server.example.org}). Adds to earlier calls. */
    public Builder dnsNames(String... names) {
      Arrays.stream(names).map(Names::checkDnsName).forEach(dnsNames::add);
      return this;
    }

    /** IP address SANs (IPv4 or IPv6 literals). Adds to earlier calls. */
    public Builder ipAddresses(String... addresses) {
      Arrays.stream(addresses).map(Names::checkIpAddress).forEach(ipAddresses::add);
      return this;
    }

    /** The identity URI SAN; replaces the derived {@code spiffe://<domain>/<role>/<name>}. */
    public Builder uri(String uri) {
      try {
        URI parsed = new URI(Objects.requireNonNull(uri, "uri"));
        if (parsed.getScheme() == null) {
          throw new PkiException("invalid URI SAN '" + uri + "' (no scheme)");
        }
      } catch (URISyntaxException e) {
        throw new PkiException("invalid URI SAN '" + uri + "': " + e.getReason());
      }
      this.uri = uri;
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
      if (role != Role.PARTY) {
        throw new PkiException("clientOnly applies to the party role, not " + role.pathSegment());
      }
      this.clientOnly = true;
      return this;
    }

    public LeafRequest build() {
      return new LeafRequest(this);
    }
  }

  static Optional<String> domainOf(String spiffeUri) {
    try {
      URI u = new URI(spiffeUri);
      return "spiffe".equals(u.getScheme()) ? Optional.ofNullable(u.getHost()) : Optional.empty();
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
