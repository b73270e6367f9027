package dev.flotilla.certs;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Who holds a Flotilla certificate: a SPIFFE ID naming trust domain, role, job (for the roles that
 * belong to one job) and name. The one scheme used by the CLI, the controller and the runtime:
 * <pre>
 *   spiffe://&lt;trust-domain&gt;/job/&lt;job&gt;/server/&lt;name&gt;   the aggregator of a job
 *   spiffe://&lt;trust-domain&gt;/job/&lt;job&gt;/party/&lt;name&gt;    a party of a job
 *   spiffe://&lt;trust-domain&gt;/ingress/&lt;name&gt;            a TLS-terminating ingress
 *   spiffe://&lt;trust-domain&gt;/controller/&lt;name&gt;         the controller
 * </pre>
 * The trust domain is the federation's DNS domain; job and name are DNS labels (they appear in
 * hosts such as {@code <job>.server.<domain>} and {@code <job>.<name>.party.<domain>}). A
 * certificate carries exactly one URI SAN, this one; there is no fallback to the subject CN.
 *
 * <p>A party that hosts virtual parties (one pod running many parties of a study) holds a
 * <em>virtual-party host</em> identity, {@code spiffe://<td>/job/<job>/party/<name>/virtual/<count>}:
 * it authorises exactly the parties {@code <name>-v0} .. {@code <name>-v<count-1>} and never {@code <name>}
 * itself. The count is part of the identity, so a host cannot widen what its certificate covers.
 *
 * @param virtualParties 0 for every ordinary identity; for a virtual-party host, how many parties it may run
 */
public record Identity(String trustDomain, Role role, String job, String name, int virtualParties) {
  /** The most virtual parties one certificate may authorise (a bound on what a hostile URI can claim). */
  public static final int MAX_VIRTUAL_PARTIES = 10_000;
  private static final String VIRTUAL_SEGMENT = "virtual";

  /** The longest identity URI accepted (the SPIFFE specification's limit). */
  public static final int MAX_URI_LENGTH = 2048;

  private static final String SCHEME = "spiffe://";

  public Identity(String trustDomain, Role role, String job, String name) {
    this(trustDomain, role, job, name, 0);
  }

  public Identity {
    Objects.requireNonNull(role, "role");
    trustDomain = checkTrustDomain(trustDomain);
    name = checkLabel("name", name);
    if (role.jobBound()) {
      job = checkLabel("job", job);
    } else if (job != null) {
      throw new PkiException("a " + role.pathSegment() + " identity belongs to no job, but job '" + job + "' was given");
    }
    if (virtualParties != 0) {
      checkVirtualHost(role, name, virtualParties);
    }
  }

  /**
   * A party of {@code job} that hosts {@code count} virtual parties, {@code <name>-v0} .. {@code <name>-v<count-1>}.
   *
   * @throws PkiException when the count is out of 1..{@value #MAX_VIRTUAL_PARTIES} or the virtual names are no DNS labels
   */
  public static Identity virtualPartyHost(String trustDomain, String job, String name, int count) {
    if (count < 1) {
      throw new PkiException("a virtual-party host hosts at least 1 virtual party, got " + count);
    }
    return new Identity(trustDomain, Role.PARTY, job, name, count);
  }

  /** The name of a host's virtual party {@code index}: {@code <host>-v<index>}. */
  public static String virtualPartyName(String host, int index) {
    return host + "-v" + index;
  }

  /** True for a virtual-party host identity (one with a count of virtual parties). */
  public boolean isVirtualPartyHost() {
    return virtualParties > 0;
  }

  /**
   * Whether this host identity authorises the virtual party {@code party}: {@code <name>-v<i>}, i a decimal
   * without leading zeros below the count. False for any other identity and any other name.
   */
  public boolean coversVirtualParty(String party) {
    if (!isVirtualPartyHost() || party == null || !party.startsWith(name + "-v")) {
      return false;
    }
    String index = party.substring(name.length() + 2);
    if (index.isEmpty() || index.length() > 5 || (index.length() > 1 && index.charAt(0) == '0')
        || !index.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return false;
    }
    return Integer.parseInt(index) < virtualParties;
  }

  private static void checkVirtualHost(Role role, String name, int count) {
    if (role != Role.PARTY) {
      throw new PkiException("only a party may host virtual parties, not a " + role.pathSegment());
    }
    if (count < 0 || count > MAX_VIRTUAL_PARTIES) {
      throw new PkiException("a virtual-party host hosts 1.." + MAX_VIRTUAL_PARTIES + " virtual parties, got " + count);
    }
    String last = virtualPartyName(name, count - 1);
    if (!Names.isLabel(last)) {
      throw new PkiException("virtual party name '" + last + "' is no DNS label (at most 63 characters): "
          + "shorten the host's name '" + name + "'");
    }
  }

  public static Identity server(String trustDomain, String job, String name) {
    return new Identity(trustDomain, Role.SERVER, job, name);
  }

  public static Identity party(String trustDomain, String job, String name) {
    return new Identity(trustDomain, Role.PARTY, job, name);
  }

  public static Identity ingress(String trustDomain, String name) {
    return new Identity(trustDomain, Role.INGRESS, null, name);
  }

  public static Identity controller(String trustDomain, String name) {
    return new Identity(trustDomain, Role.CONTROLLER, null, name);
  }

  /**
   * The SPIFFE ID, e.g. {@code spiffe://fl.example.org/job/mnist/party/a}, or for a virtual-party host
   * {@code spiffe://fl.example.org/job/mnist/party/a/virtual/5}.
   */
  public String uri() {
    return SCHEME + trustDomain + (role.jobBound() ? "/job/" + job : "") + "/" + role.pathSegment() + "/" + name
        + (isVirtualPartyHost() ? "/" + VIRTUAL_SEGMENT + "/" + virtualParties : "");
  }

  /** The host of this job's aggregator by convention, {@code <job>.server.<trust-domain>}; null for cluster roles. */
  public String serverHost() {
    return role.jobBound() ? job + ".server." + trustDomain : null;
  }

  /**
   * The host of a party by the iflearner convention, {@code <job>.<party>.party.<trust-domain>}: the name its
   * peer endpoint answers to (and an SNI-routing proxy routes on); null for any other role.
   */
  public String partyHost() {
    return role == Role.PARTY ? job + "." + name + ".party." + trustDomain : null;
  }

  /** True when both identities belong to the same job of the same trust domain. */
  public boolean sameJobAs(Identity other) {
    return role.jobBound() && other.role.jobBound() && trustDomain.equals(other.trustDomain) && job.equals(other.job);
  }

  @Override
  public String toString() {
    return uri();
  }

  /**
   * Parses a Flotilla SPIFFE ID strictly: the scheme, a trust domain without user, port, query or
   * fragment, and exactly the path of one of the four shapes above.
   *
   * @throws PkiException naming what is wrong with the URI
   */
  public static Identity parse(String uri) {
    if (uri == null) {
      throw new PkiException("no identity URI");
    }
    if (uri.length() > MAX_URI_LENGTH) {
      throw new PkiException("identity URI is " + uri.length() + " characters long, more than " + MAX_URI_LENGTH);
    }
    String shown = printable(uri);
    if (!uri.startsWith(SCHEME)) {
      throw new PkiException("identity URI '" + shown + "' is not a spiffe:// URI");
    }
    String rest = uri.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new PkiException("identity URI '" + shown + "' has no path (expected /job/<job>/<role>/<name> or /<role>/<name>)");
    }
    String trustDomain = rest.substring(0, slash);
    String[] path = rest.substring(slash + 1).split("/", -1);
    try {
      if (path.length == 4 && path[0].equals("job")) {
        Role role = Role.ofPathSegment(path[2]);
        if (role == null || !role.jobBound()) {
          throw new PkiException("'" + path[2] + "' is not a role of a job (server or party)");
        }
        return new Identity(trustDomain, role, path[1], path[3]);
      }
      if (path.length == 6 && path[0].equals("job") && path[4].equals(VIRTUAL_SEGMENT)) {
        if (Role.ofPathSegment(path[2]) != Role.PARTY) {
          throw new PkiException("only a party may host virtual parties, not '" + path[2] + "'");
        }
        return virtualPartyHost(trustDomain, path[1], path[3], parseCount(path[5]));
      }
      if (path.length == 2) {
        Role role = Role.ofPathSegment(path[0]);
        if (role == null || role.jobBound()) {
          throw new PkiException(role == null
              ? "'" + path[0] + "' is not a role (server, party, ingress, controller)"
              : "a " + role.pathSegment() + " identity must name its job: /job/<job>/" + role.pathSegment() + "/<name>");
        }
        return new Identity(trustDomain, role, null, path[1]);
      }
      throw new PkiException("the path must be /job/<job>/server|party/<name>, /job/<job>/party/<name>/virtual/<count> "
          + "or /ingress|controller/<name>");
    } catch (PkiException e) {
      throw new PkiException("identity URI '" + shown + "' is not a Flotilla identity: " + e.getMessage(), e);
    }
  }

  /**
   * The identity of a certificate: its one URI SAN, parsed by {@link #parse}.
   *
   * @throws PkiException when the certificate carries no URI SAN, several, or one that does not parse
   */
  public static Identity of(X509Certificate certificate) {
    List<String> uris = Certificates.uris(certificate);
    if (uris.size() != 1) {
      throw new PkiException("certificate '" + printable(certificate.getSubjectX500Principal().getName())
          + "' carries " + uris.size() + " URI SANs; a Flotilla identity is exactly one spiffe:// URI");
    }
    return parse(uris.get(0));
  }

  /**
   * Checks that a DNS name may appear in a certificate of this identity: a server's names lie
   * under {@code .server.<trust-domain>} ({@code <label>.server.<td>} or {@code *.server.<td>}), a
   * party's under {@code .party.<trust-domain>} (one or two labels, the first may be {@code *}),
   * and ingress and controller certificates carry none. So no party certificate can ever match
   * an aggregator's host name, and the reverse.
   *
   * @return the name, lower-cased
   * @throws PkiException naming the DNS name and the rule
   */
  public String checkDnsName(String dnsName) {
    String name = Names.checkDnsName(dnsName);
    if (!role.hasDnsNames()) {
      throw new PkiException("DNS name " + name + " is not allowed: " + role.pathSegment()
          + " certificates carry no DNS names");
    }
    String zone = "." + role.pathSegment() + "." + trustDomain;
    int allowedLabels = role == Role.SERVER ? 1 : 2;
    if (name.endsWith(zone)) {
      String prefix = name.substring(0, name.length() - zone.length());
      int labels = prefix.split("\\.", -1).length;
      if (!prefix.isEmpty() && labels <= allowedLabels) {
        return name;
      }
    }
    throw new PkiException("DNS name " + name + " is not allowed in a " + role.pathSegment() + " certificate of "
        + trustDomain + ": " + (role == Role.SERVER
            ? "server names are <job>.server." + trustDomain
            : "party names are <job>.<party>.party." + trustDomain + " or <party>.party." + trustDomain));
  }

  /** A count of virtual parties as the URI writes it: 1..{@value #MAX_VIRTUAL_PARTIES}, decimal, no leading zero. */
  private static int parseCount(String text) {
    if (text.isEmpty() || text.length() > 5 || text.charAt(0) == '0' || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new PkiException("virtual-party count '" + printable(text) + "' is not a number in 1.." + MAX_VIRTUAL_PARTIES);
    }
    return Integer.parseInt(text);
  }

  private static String checkTrustDomain(String trustDomain) {
    if (trustDomain == null || trustDomain.isEmpty()) {
      throw new PkiException("empty trust domain");
    }
    if (trustDomain.length() > 253) {
      throw new PkiException("trust domain is longer than 253 characters");
    }
    for (String label : trustDomain.split("\\.", -1)) {
      if (!Names.isLabel(label)) {
        throw new PkiException("invalid trust domain '" + printable(trustDomain)
            + "' (lower-case DNS labels separated by dots)");
      }
    }
    return trustDomain;
  }

  private static String checkLabel(String what, String value) {
    if (!Names.isLabel(value)) {
      throw new PkiException("invalid " + what + " '" + printable(String.valueOf(value))
          + "' (a lower-case DNS label: letters, digits and '-', at most 63 characters)");
    }
    return value;
  }

  /** Hostile input goes into messages: cut it short and keep it on one printable line. */
  static String printable(String value) {
    String cut = value.length() > 120 ? value.substring(0, 120) + "..." : value;
    StringBuilder out = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : "?"));
    return out.toString();
  }
}
