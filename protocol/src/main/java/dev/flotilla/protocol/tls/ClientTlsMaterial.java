package dev.flotilla.protocol.tls;

import java.util.Objects;

/**
 * One party's client key material for many channels: its certificate and key, and the CA it trusts, each
 * re-read when its files change (as for one channel). A party that dials many peers a round builds this
 * once: loading a key checks that it belongs to its certificate (a signature and its verification), which
 * cost more than the handshake when done for every channel.
 */
public final class ClientTlsMaterial {
  private final TlsFiles files;
  private final ReloadingKeyManager keys;
  private final ReloadingTrustManager trust;

  private ClientTlsMaterial(TlsFiles files) {
    this.files = files;
    this.keys = new ReloadingKeyManager(files.certificateChain(), files.privateKey());
    this.trust = new ReloadingTrustManager(files.trustedCa());
  }

  /** Loads {@code files} now; a missing or mismatched key fails here, naming the files. */
  public static ClientTlsMaterial of(TlsFiles files) {
    return new ClientTlsMaterial(Objects.requireNonNull(files, "files"));
  }

  TlsFiles files() {
    return files;
  }

  ReloadingKeyManager keys() {
    return keys;
  }

  ReloadingTrustManager trust() {
    return trust;
  }
}
