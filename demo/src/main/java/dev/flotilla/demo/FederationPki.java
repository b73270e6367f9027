package dev.flotilla.demo;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A throw-away PKI for a federation on one machine: a root CA, a server certificate for loopback
 * and for {@code <job>.server.<domain>}, and one certificate per party carrying the identity
 * {@code spiffe://<domain>/party/party-N}. Keys are made here, at run time, and never leave the directory.
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
        .issue(LeafRequest.builder(Role.SERVER, jobId)
            .dnsNames(pki.serverName(), "localhost")
            .ipAddresses("127.0.0.1")
            .uri("spiffe://" + DOMAIN + "/server/" + jobId)
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

  public static String partyUri(String name) {
    return "spiffe://" + DOMAIN + "/party/" + name;
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

  /** Issues (once) and returns the certificate of a party; its identity is {@link #partyUri(String)}. */
  public TlsPaths party(String name) {
    Path dir = directory.resolve("parties").resolve(name);
    if (!Files.exists(dir.resolve("tls.key"))) {
      authority
          .issue(LeafRequest.builder(Role.PARTY, name)
              .dnsNames(name + ".party." + DOMAIN)
              .uri(partyUri(name))
              .lifetime(LIFETIME)
              .keyType(KeyType.EC_P256)
              .build())
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
