package dev.flotilla.protocol.secagg;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import dev.flotilla.protocol.tls.FastSignatures;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.tls.VerifiedChains;
import dev.flotilla.protocol.v1.SecAggKeyBinding;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggPublicKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Binds a party's SecAgg+ round keys (the two X25519 keys and the Ed25519 key of the consistency check) to
 * its mTLS identity, since {@code secagg+/3}. The aggregator relays the keys; without this it could hand
 * parties keys of its own for some party, and then sign survivor lists as that party. Each party signs its
 * advertisement with its TLS private key, over the round seed, round, attempt, its roster index and name,
 * and sends its certificate chain; each of its neighbours checks the chain against the job's CA, that the leaf
 * is a party of its own trust domain and job naming the roster's party at that index, and the signature, so a
 * substituted key, or one replayed from another round, attempt or party, is refused naming the party. Only
 * neighbours use a party's keys (key agreement, shares, the consistency check's signatures), so only they check.
 *
 * <p>The TLS files are read at each round, so a renewed certificate or CA bundle is used at once; what they hold is
 * parsed again only when their text changed. A neighbour's chain verified once is kept ({@link VerifiedChains}), so
 * the rounds after cost each neighbour one signature check. One binding serves a party for all its rounds. A party
 * with no TLS identity (the simulator's in-process parties, whose aggregator is in the same JVM) binds
 * nothing and checks nothing: that is decided by the party, never by what the aggregator sends.
 */
public final class RoundKeyBinding {
  static final int MAX_CHAIN = 4;
  static final int MAX_CERTIFICATE_BYTES = 8 * 1024;
  static final int MAX_SIGNATURE_BYTES = 512;
  static final int MAX_NAME_CHARS = 63;
  private static final byte[] DOMAIN = "flotilla secagg+/3 round keys".getBytes(StandardCharsets.US_ASCII);

  /** Where one round's keys belong: the receiver's own round, attempt and the aggregator's setup. */
  public record Round(byte[] roundSeed, int round, int attempt, List<String> partyNames) {
    public Round {
      roundSeed = roundSeed.clone();
      partyNames = List.copyOf(partyNames);
    }
  }

  /** The party's own chain and key, parsed from the files' text whose SHA-256 is {@code source}. */
  private record Own(ByteString source, List<ByteString> chainDer, PrivateKey key, Identity identity) {}

  private final TlsFiles files;
  private final VerifiedChains neighbours = new VerifiedChains();
  private Own own;

  private RoundKeyBinding(TlsFiles files) {
    this.files = files;
  }

  /** Binding with (and checking against) the party's TLS files: its chain, key and the job's CA. */
  public static RoundKeyBinding of(TlsFiles files) {
    return new RoundKeyBinding(java.util.Objects.requireNonNull(files, "files"));
  }

  /** {@code keys} (of party {@code keys.getParty()}) with this party's binding for {@code round}. */
  public SecAggPublicKeys bind(SecAggPublicKeys keys, Round round) {
    Own self = own();
    String name = nameAt(round, keys.getParty());
    if (!names(self.identity(), name)) {
      throw new SecAggException("the aggregator's roster names this party (index " + keys.getParty() + ") '" + name
          + "', but its certificate is " + self.identity() + "; it takes no part in this round");
    }
    SecAggKeyBinding.Builder binding = SecAggKeyBinding.newBuilder().addAllCertificateChain(self.chainDer());
    try {
      Signature signer = FastSignatures.signature(KeyType.of(self.key()).signatureAlgorithm());
      signer.initSign(self.key());
      signer.update(message(round, keys.getParty(), name, keys));
      binding.setSignature(ByteString.copyFrom(signer.sign()));
    } catch (GeneralSecurityException | PkiException e) {
      throw new SecAggException("cannot sign this party's round keys with " + files.privateKey() + ": "
          + e.getMessage());
    }
    return keys.toBuilder().setBinding(binding).build();
  }

  /** How many neighbours' chains this party keeps verified. */
  int keptChains() {
    return neighbours.size();
  }

  /** The party's chain and key: the files read now, parsed again only when their text changed (a renewal). */
  private synchronized Own own() {
    String chainText = Pem.readText(files.certificateChain());
    String keyText = Pem.readText(files.privateKey());
    // a digest, not the text: no second copy of the private key stays in memory
    ByteString source = sha256(chainText + "\n" + keyText);
    if (own == null || !own.source().equals(source)) {
      List<X509Certificate> chain = Pem.parseCertificates(chainText, files.certificateChain().toString());
      PrivateKey key = Pem.parsePrivateKey(keyText, files.privateKey().toString());
      List<ByteString> der = new ArrayList<>();
      try {
        for (X509Certificate certificate : chain) {
          der.add(ByteString.copyFrom(certificate.getEncoded()));
        }
      } catch (GeneralSecurityException e) {
        throw new SecAggException("cannot encode " + files.certificateChain() + ": " + e.getMessage());
      }
      own = new Own(source, List.copyOf(der), FastSignatures.privateKey(key), identityOf(chain));
    }
    return own;
  }

  private static ByteString sha256(String text) {
    try {
      return ByteString.copyFrom(java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  /**
   * The key roster with the bindings of {@code neighbours} verified and every binding taken off (what
   * {@link SecAggParty} reads). A party uses no other party's keys: it agrees keys and shares with its
   * neighbours only, and counts only its neighbours' signatures in the consistency check
   * ({@link SecAggParty#unmask}), so another party's keys are its own neighbours' to check; that keeps a party's
   * work at O(k) signature checks a round, not O(n).
   *
   * @throws SecAggException naming the first neighbour whose keys are not bound to its identity, and why
   */
  public SecAggKeyRoster verified(SecAggKeyRoster roster, Round round, int[] neighbours) {
    Identity self = own().identity();
    this.neighbours.useCa(files.trustedCa()); // once a roster, not once a neighbour
    checkNames(round);
    Set<Integer> checked = new HashSet<>();
    for (int neighbour : neighbours) {
      checked.add(neighbour);
    }
    SecAggKeyRoster.Builder plain = SecAggKeyRoster.newBuilder();
    for (SecAggPublicKeys keys : roster.getKeysList()) {
      if (!checked.contains(keys.getParty())) {
        plain.addKeys(keys.toBuilder().clearBinding());
        continue;
      }
      String name = nameAt(round, keys.getParty());
      String problem = problem(keys, name, round, self);
      if (problem != null) {
        throw new SecAggException("party " + keys.getParty() + " ('" + name + "'): " + problem + "; this party refuses "
            + "the round: the aggregator substituted that party's keys, or replayed keys of another round or party");
      }
      plain.addKeys(keys.toBuilder().clearBinding());
    }
    return plain.build();
  }

  /** Why {@code keys} are not bound to {@code name} for {@code round}, or null when they are. */
  private String problem(SecAggPublicKeys keys, String name, Round round, Identity self) {
    if (!keys.hasBinding()) {
      return "its keys carry no binding to its certificate";
    }
    SecAggKeyBinding binding = keys.getBinding();
    String oversize = boundsProblem(binding);
    if (oversize != null) {
      return oversize;
    }
    VerifiedChains.Verified signer;
    try {
      signer = neighbours.client(binding.getCertificateChainList());
    } catch (GeneralSecurityException | PkiException | ClassCastException e) {
      return "its binding's certificate is refused: " + e.getMessage();
    }
    Identity id = signer.identity().identity();
    if (id.role() != Role.PARTY || !id.sameJobAs(self)) {
      return "its keys are signed by " + id + ", not a party of job " + self.job() + " in " + self.trustDomain();
    }
    if (!names(id, name)) {
      return "its keys are signed by " + id + ", not by the party the roster names";
    }
    try {
      Signature verifier = FastSignatures.signature(signer.signatureAlgorithm());
      verifier.initVerify(signer.leafKey());
      verifier.update(message(round, keys.getParty(), name, keys));
      if (!verifier.verify(binding.getSignature().toByteArray())) {
        return "the signature of " + id + " does not cover these keys for round " + round.round() + " attempt "
            + round.attempt() + " at index " + keys.getParty();
      }
    } catch (GeneralSecurityException | PkiException e) {
      return "the signature of " + id + " cannot be checked: " + e.getMessage();
    }
    return null;
  }

  /**
   * Why {@code binding} is beyond its bounds (certificates, their sizes, the signature's), or null: checked by the
   * aggregator before it relays a binding and by every receiver before it parses one.
   */
  public static String boundsProblem(SecAggKeyBinding binding) {
    if (binding.getCertificateChainCount() < 1 || binding.getCertificateChainCount() > MAX_CHAIN) {
      return "its binding carries " + binding.getCertificateChainCount() + " certificates, not 1.." + MAX_CHAIN;
    }
    for (ByteString der : binding.getCertificateChainList()) {
      if (der.size() > MAX_CERTIFICATE_BYTES) {
        return "a certificate of its binding is " + der.size() + " bytes, more than " + MAX_CERTIFICATE_BYTES;
      }
    }
    if (binding.getSignature().size() > MAX_SIGNATURE_BYTES) {
      return "its binding's signature is " + binding.getSignature().size() + " bytes, more than " + MAX_SIGNATURE_BYTES;
    }
    return null;
  }

  /**
   * Why the aggregator refuses the keys advertised on a connection that presented {@code connection} by roster
   * party {@code rosterName}, or null: the binding's certificate must carry the connection's identity and name
   * (or, a virtual-party host's, cover) the roster's name. Checked at key advertisement, so a party cannot put
   * keys bound to another party's certificate in the roster (its honest peers would then leave the round) and
   * the round goes on for the others. Only the leaf is read here; chains and signatures are every receiver's
   * to check ({@link #verified}).
   */
  public static String callerProblem(SecAggPublicKeys keys, X509Certificate connection, String rosterName) {
    if (!keys.hasBinding()) {
      return "its keys carry no binding to its certificate";
    }
    String oversize = boundsProblem(keys.getBinding());
    if (oversize != null) {
      return oversize;
    }
    Identity bound;
    try {
      X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
          new ByteArrayInputStream(keys.getBinding().getCertificateChain(0).toByteArray()));
      bound = Identity.of(leaf);
    } catch (GeneralSecurityException | RuntimeException e) {
      return "its binding's certificate cannot be read: " + e.getMessage();
    }
    Identity caller = Identity.of(connection);
    if (!bound.equals(caller)) {
      return "its keys are bound to " + bound + ", but its mTLS identity is " + caller;
    }
    if (!names(bound, rosterName)) {
      return "its keys are bound to " + bound + ", which does not speak for roster party '" + rosterName + "'";
    }
    return null;
  }

  /** The aggregator's names: one per roster index, distinct, each a plausible name. */
  private static void checkNames(Round round) {
    Set<String> seen = new HashSet<>();
    for (String name : round.partyNames()) {
      if (name.isEmpty() || name.length() > MAX_NAME_CHARS || !seen.add(name)) {
        throw new SecAggException("the aggregator's roster names " + (name.length() > MAX_NAME_CHARS ? "a party with "
            + name.length() + " characters" : "'" + name + "'" + (name.isEmpty() ? "" : " twice"))
            + "; this party refuses the round");
      }
    }
  }

  private static String nameAt(Round round, int index) {
    if (index < 0 || index >= round.partyNames().size()) {
      throw new SecAggException("the aggregator's roster names " + round.partyNames().size() + " parties; index "
          + index + " has no name (an aggregator without secagg+/3?); this party refuses the round");
    }
    return round.partyNames().get(index);
  }

  /** Whether a certificate of {@code id} speaks for the roster's {@code name} (a virtual-party host for its parties). */
  private static boolean names(Identity id, String name) {
    return id.isVirtualPartyHost() ? id.coversVirtualParty(name) : id.name().equals(name);
  }

  private Identity identityOf(List<X509Certificate> chain) {
    if (chain.isEmpty()) {
      throw new SecAggException(files.certificateChain() + " holds no certificate");
    }
    return Identity.of(chain.get(0));
  }

  private static byte[] message(Round round, int index, String name, SecAggPublicKeys keys) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(DOMAIN);
    out.writeBytes(round.roundSeed());
    writeInt(out, round.round());
    writeInt(out, round.attempt());
    writeInt(out, index);
    writeBytes(out, name.getBytes(StandardCharsets.UTF_8));
    writeBytes(out, keys.getEncryptionKey().toByteArray());
    writeBytes(out, keys.getMaskKey().toByteArray());
    writeBytes(out, keys.getSigningKey().toByteArray());
    return out.toByteArray();
  }

  private static void writeBytes(ByteArrayOutputStream out, byte[] bytes) {
    writeInt(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void writeInt(ByteArrayOutputStream out, int value) {
    out.write(value >>> 24);
    out.write(value >>> 16);
    out.write(value >>> 8);
    out.write(value);
  }
}
