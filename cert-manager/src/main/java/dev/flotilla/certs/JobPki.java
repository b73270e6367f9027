package dev.flotilla.certs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The PKI of one job on one machine, made at run time: a throw-away root CA in {@code dir/ca}, the
 * aggregator's credentials in {@code dir/server} (identity {@code spiffe://<domain>/job/<job>/server/<job>},
 * DNS name {@code <job>.server.<domain>}), and party, ingress or any other credentials on demand, each in a
 * directory of the layout TLS Secrets mount (tls.crt, tls.key, ca.crt). The demo runs its federations
 * with it and the tests build their certificates with it, so there is one way to make a job's certificates.
 */
public final class JobPki {
  /** Long enough for any run or test, short enough that a leaked key soon means nothing. */
  public static final Duration LIFETIME = Duration.ofDays(1);

  private final Path directory;
  private final String domain;
  private final String job;
  private final CertificateAuthority authority;

  private JobPki(Path directory, String domain, String job, CertificateAuthority authority) {
    this.directory = directory;
    this.domain = domain;
    this.job = job;
    this.authority = authority;
  }

  /** A new CA (written to {@code directory/ca}) and the aggregator's credentials ({@code directory/server}). */
  public static JobPki create(Path directory, String domain, String job) {
    CertificateAuthority authority = newAuthority("Flotilla CA of job " + job, LIFETIME);
    authority.writeTo(directory.resolve("ca"));
    JobPki pki = new JobPki(directory, domain, job, authority);
    pki.issue(LeafRequest.builder(Identity.server(domain, job, job)).dnsNames(pki.serverName()), "server");
    return pki;
  }

  /**
   * A root CA of the kind every JobPki has (EC P-256), in memory only: for tests that need a CA object
   * rather than a job's files, a second CA to be refused, or a lifetime other than {@link #LIFETIME}
   * (leaves are cut to their CA's expiry).
   */
  public static CertificateAuthority newAuthority(String commonName, Duration lifetime) {
    return CertificateAuthority.createRoot(commonName, lifetime, KeyType.EC_P256);
  }

  public String domain() {
    return domain;
  }

  public String job() {
    return job;
  }

  public CertificateAuthority authority() {
    return authority;
  }

  /** The name parties verify the aggregator against (and send as SNI): {@code <job>.server.<domain>}. */
  public String serverName() {
    return job + ".server." + domain;
  }

  public Path caCertificate() {
    return directory.resolve("ca").resolve(CertificateAuthority.CERTIFICATE_FILE);
  }

  /** The aggregator's credentials directory. */
  public Path server() {
    return directory.resolve("server");
  }

  public Identity partyIdentity(String name) {
    return Identity.party(domain, job, name);
  }

  /** The credentials directory of party {@code name} of the job, issued on first use. */
  public Path party(String name) {
    Path dir = directory.resolve("parties").resolve(name);
    if (!Files.exists(dir.resolve(IssuedCertificate.KEY_FILE))) {
      issue(LeafRequest.builder(partyIdentity(name)).dnsNames(job + "." + name + ".party." + domain),
          "parties/" + name);
    }
    return dir;
  }

  /** The client credentials of a TLS-terminating ingress ({@code spiffe://<domain>/ingress/<name>}), issued on first use. */
  public Path ingress(String name) {
    Path dir = directory.resolve("ingress").resolve(name);
    if (!Files.exists(dir.resolve(IssuedCertificate.KEY_FILE))) {
      issue(LeafRequest.builder(Identity.ingress(domain, name)), "ingress/" + name);
    }
    return dir;
  }

  /** Credentials of any identity, signed by the job's CA, written to {@code directory/dirName} (replaced if there). */
  public Path issue(Identity identity, String dirName) {
    return issue(LeafRequest.builder(identity), dirName);
  }

  /**
   * Credentials of any request (extra DNS names, a wildcard, an identity of another job), signed by the
   * job's CA with the job's lifetime and key type, written to {@code directory/dirName}.
   */
  public Path issue(LeafRequest.Builder request, String dirName) {
    Path dir = directory.resolve(dirName);
    authority.issue(request.lifetime(LIFETIME).keyType(KeyType.EC_P256).build()).writeTo(dir);
    return dir;
  }
}
