package dev.flotilla.demo;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Identity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A throw-away PKI for a federation on one machine: a root CA, the aggregator's certificate for
 * {@code <job>.server.<domain>}, one certificate per party carrying the identity
 * {@code spiffe://<domain>/job/<job>/party/party-N}, and the ingress's client certificate for the
 * terminate path. Parties reach the server by address and verify it by name (SNI), as through an
 * ingress. Keys are made here, at run time, and never leave the directory.
 */
public final class FederationPki {

  public static final String DOMAIN = "flotilla.local";
  private static final Duration LIFETIME = Duration.ofDays(1);

  private final Path directory;
  private final String jobId;
  private final CertificateAuthority authority;

  private FederationPki(Path directory, String jobId, CertificateAuthority authority) {
    this.directory = directory;
    this.jobId = jobId;
    this.authority = authority;
  }

  /** Makes the CA in {@code directory/ca} and the server's certificate in {@code directory/server}. */
  public static FederationPki create(Path directory, String jobId) {
    CertificateAuthority authority =
        CertificateAuthority.createRoot("Flotilla local CA " + jobId, LIFETIME, KeyType.EC_P256);
    FederationPki pki = new FederationPki(directory, jobId, authority);
    authority.writeTo(mkdirs(directory.resolve("ca")));
    authority
        .issue(LeafRequest.builder(Identity.server(DOMAIN, jobId, jobId))
            .dnsNames(pki.serverName())
            .lifetime(LIFETIME)
            .keyType(KeyType.EC_P256)
            .build())
        .writeTo(mkdirs(directory.resolve("server")));
    return pki;
  }

  /** The 1-based name of the party with this 0-based partition index. */
  public static String partyName(int partitionIndex) {
    return "party-" + (partitionIndex + 1);
  }

  /** The identity of a party of this federation's job. */
  public Identity partyIdentity(String name) {
    return Identity.party(DOMAIN, jobId, name);
  }

  /** The name the parties verify the server against (and send as SNI): {@code <job>.server.<domain>}. */
  public String serverName() {
    return jobId + ".server." + DOMAIN;
  }

  public TlsPaths server() {
    return TlsPaths.inDirectory(directory.resolve("server"));
  }

  public Path caCertificate() {
    return directory.resolve("ca").resolve("ca.crt");
  }

  /** Issues (once) and returns the certificate of a party; its identity is {@link #partyIdentity(String)}. */
  public TlsPaths party(String name) {
    Path dir = directory.resolve("parties").resolve(name);
    if (!Files.exists(dir.resolve("tls.key"))) {
      authority
          .issue(LeafRequest.builder(partyIdentity(name))
              .dnsNames(jobId + "." + name + ".party." + DOMAIN)
              .lifetime(LIFETIME)
              .keyType(KeyType.EC_P256)
              .build())
          .writeTo(mkdirs(dir));
    }
    return TlsPaths.inDirectory(dir);
  }

  /**
   * Issues (once) and returns the client certificate of a TLS-terminating ingress,
   * {@code spiffe://<domain>/ingress/<name>}: what ingress-nginx presents to the aggregator.
   */
  public TlsPaths ingress(String name) {
    Path dir = directory.resolve("ingress").resolve(name);
    if (!Files.exists(dir.resolve("tls.key"))) {
      authority.issue(LeafRequest.builder(Identity.ingress(DOMAIN, name)).lifetime(LIFETIME).keyType(KeyType.EC_P256).build())
          .writeTo(mkdirs(dir));
    }
    return TlsPaths.inDirectory(dir);
  }

  private static Path mkdirs(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }
}
