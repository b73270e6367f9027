package dev.flotilla.demo;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import java.nio.file.Path;

/**
 * The demo's PKI: a {@link JobPki} in the trust domain {@value #DOMAIN}, with the paths as the demo passes
 * them to its processes. Parties are {@code party-N}; they reach the server by address and verify it by
 * name (SNI), as through an ingress. Keys are made here, at run time, and never leave the directory.
 */
public final class FederationPki {

  public static final String DOMAIN = "flotilla.local";

  private final JobPki pki;

  private FederationPki(JobPki pki) {
    this.pki = pki;
  }

  /** Makes the CA in {@code directory/ca} and the server's certificate in {@code directory/server}. */
  public static FederationPki create(Path directory, String jobId) {
    return new FederationPki(JobPki.create(directory, DOMAIN, jobId));
  }

  /** The 1-based name of the party with this 0-based partition index. */
  public static String partyName(int partitionIndex) {
    return "party-" + (partitionIndex + 1);
  }

  /** The identity of a party of this federation's job. */
  public Identity partyIdentity(String name) {
    return pki.partyIdentity(name);
  }

  /** The name the parties verify the server against (and send as SNI): {@code <job>.server.<domain>}. */
  public String serverName() {
    return pki.serverName();
  }

  public TlsPaths server() {
    return TlsPaths.inDirectory(pki.server());
  }

  public Path caCertificate() {
    return pki.caCertificate();
  }

  /** Issues (once) and returns the certificate of a party; its identity is {@link #partyIdentity(String)}. */
  public TlsPaths party(String name) {
    return TlsPaths.inDirectory(pki.party(name));
  }

  /**
   * Issues and returns the certificate of a virtual-party host {@code name} for {@code count} virtual parties,
   * {@code spiffe://<domain>/job/<job>/party/<name>/virtual/<count>} (what a party started with
   * {@code --virtual-parties count} presents).
   */
  public TlsPaths virtualPartyHost(String name, int count) {
    return TlsPaths.inDirectory(pki.issue(
        dev.flotilla.certs.Identity.virtualPartyHost(DOMAIN, pki.job(), name, count), "hosts/" + name));
  }

  /**
   * Issues (once) and returns the client certificate of a TLS-terminating ingress,
   * {@code spiffe://<domain>/ingress/<name>}: what ingress-nginx presents to the aggregator.
   */
  public TlsPaths ingress(String name) {
    return TlsPaths.inDirectory(pki.ingress(name));
  }
}
