package dev.flotilla.protocol.tls;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Pem;
import java.net.Socket;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key manager that serves the certificate chain and key of a pair of PEM files and picks up new
 * versions of them at the next handshake, without a restart. BoringSSL (netty-tcnative) asks the
 * key manager for key material at every handshake, so a renewed certificate is presented to new
 * connections while existing connections keep their session.
 *
 * <p>A new version is used only once both files parse and the key matches the certificate; until
 * then (for example between the renewer's two file moves) the previous material stays in use.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);

  private record Material(String alias, FileStamp stamp, X509Certificate[] chain, PrivateKey key) {}

  private final Path chainFile;
  private final Path keyFile;
  private final AtomicLong generation = new AtomicLong();
  private volatile Material current;
  private volatile Material previous;

  ReloadingKeyManager(Path chainFile, Path keyFile) {
    this.chainFile = chainFile;
    this.keyFile = keyFile;
    this.current = load(FileStamp.of(chainFile, keyFile), true);
  }

  /** The certificate this key manager presents now (after checking the files for a new version). */
  X509Certificate currentCertificate() {
    return refresh().chain[0];
  }

  private Material refresh() {
    Material m = current;
    FileStamp stamp = FileStamp.of(chainFile, keyFile);
    if (stamp.equals(m.stamp)) {
      return m;
    }
    synchronized (this) {
      m = current;
      if (!stamp.equals(m.stamp)) {
        Material fresh = load(stamp, false);
        if (fresh != null) {
          previous = m;
          current = fresh;
          log.info("reloaded TLS certificate {} (subject {}, expires {})", chainFile,
              fresh.chain[0].getSubjectX500Principal().getName(), fresh.chain[0].getNotAfter().toInstant());
          return fresh;
        }
      }
      return current;
    }
  }

  private Material load(FileStamp stamp, boolean failHard) {
    try {
      List<X509Certificate> chain = Pem.readCertificates(chainFile);
      PrivateKey key = Pem.readPrivateKey(keyFile);
      if (!CertificateAuthority.keyMatches(chain.get(0).getPublicKey(), key)) {
        throw new IllegalStateException("private key " + keyFile + " does not belong to certificate " + chainFile);
      }
      return new Material("flotilla-" + generation.incrementAndGet(), stamp, chain.toArray(X509Certificate[]::new), key);
    } catch (Exception e) {
      if (failHard) {
        throw new IllegalArgumentException("cannot load TLS key material from " + chainFile + " and " + keyFile
            + ": " + e.getMessage(), e);
      }
      log.warn("keeping the current TLS certificate: new files are not usable yet ({})", e.getMessage());
      return null;
    }
  }

  private Material byAlias(String alias) {
    Material m = current;
    if (m.alias.equals(alias)) {
      return m;
    }
    Material p = previous;
    return p != null && p.alias.equals(alias) ? p : null;
  }

  private String aliasFor(String keyType) {
    Material m = refresh();
    return keyTypeMatches(keyType, m.key.getAlgorithm()) ? m.alias : null;
  }

  private String aliasFor(String[] keyTypes) {
    Material m = refresh();
    if (keyTypes == null) {
      return m.alias;
    }
    for (String type : keyTypes) {
      if (keyTypeMatches(type, m.key.getAlgorithm())) {
        return m.alias;
      }
    }
    return null;
  }

  /** keyType is a JSSE/netty key type ("RSA", "EC", "EC_EC", "EC_RSA", "DH_RSA", "RSASSA-PSS"...); the algorithm is "EC" or "RSA". */
  static boolean keyTypeMatches(String keyType, String algorithm) {
    if (keyType == null) {
      return true;
    }
    if ("EC".equals(algorithm)) {
      return keyType.startsWith("EC");
    }
    return keyType.contains("RSA");
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    String alias = aliasFor(keyType);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return aliasFor(keyTypes);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyTypes);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = aliasFor(keyType);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return aliasFor(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return aliasFor(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.chain.clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Material m = byAlias(alias);
    return m == null ? null : m.key;
  }
}
