package dev.flotilla.protocol.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.JobPki;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.SecAggKeyRoster;
import dev.flotilla.protocol.v1.SecAggPublicKeys;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round keys bound to the mTLS identity (secagg+/3): an aggregator that substitutes a party's keys, or replays an
 * advertisement of another round, attempt or party, is caught by every honest party before it shares anything,
 * with a reason naming the party; an honest roster passes unchanged.
 */
class RoundKeyBindingTest {
  private static final List<String> NAMES = List.of("alice", "bob", "carol");

  @TempDir
  static Path dir;
  private static JobPki pki;
  private static final List<RoundKeyBinding> bindings = new ArrayList<>();

  @BeforeAll
  static void issue() {
    pki = JobPki.create(dir.resolve("job"), "flotilla.test", "mnist");
    for (String name : NAMES) {
      bindings.add(RoundKeyBinding.of(TlsFiles.inDirectory(pki.party(name))));
    }
  }

  /** One round's parties: each advertised its keys bound to its certificate. */
  private static final class Round {
    final byte[] seed = new byte[SecAggParams.SEED_BYTES];
    final RoundKeyBinding.Round where;
    final List<SecAggParty> parties = new ArrayList<>();
    final List<SecAggPublicKeys> advertised = new ArrayList<>();

    Round(int round, int attempt) {
      new SecureRandom().nextBytes(seed);
      where = new RoundKeyBinding.Round(seed, round, attempt, NAMES);
      SecAggParams params = SecAggParams.withDefaults(seed, NAMES.size(), 10);
      for (int i = 0; i < NAMES.size(); i++) {
        SecAggParty party = new SecAggParty(params, i, new SecureRandom());
        parties.add(party);
        advertised.add(bindings.get(i).bind(party.advertiseKeys(), where));
      }
    }

    SecAggKeyRoster roster() {
      return SecAggKeyRoster.newBuilder().addAllKeys(advertised).build();
    }
  }

  @Test
  @DisplayName("an honest roster verifies at every party, whose SecAgg+ round then shares its keys as before")
  void honestRosterPasses() {
    Round round = new Round(3, 1);
    for (int i = 0; i < NAMES.size(); i++) {
      SecAggKeyRoster plain = bindings.get(i).verified(round.roster(), round.where, round.parties.get(i).neighbours());
      assertThat(plain.getKeysList()).allSatisfy(k -> assertThat(k.hasBinding()).isFalse());
      assertThat(plain.getKeys(1).getSigningKey()).isEqualTo(round.advertised.get(1).getSigningKey());
      assertThat(round.parties.get(i).shareKeys(plain).getSharesCount()).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("a neighbour's chain checked in one round is kept for the next, whose signatures are still checked: "
      + "bob's substituted key is refused then too")
  void keptChainsStillHaveTheirSignaturesChecked() {
    RoundKeyBinding alices = RoundKeyBinding.of(TlsFiles.inDirectory(pki.party("alice")));
    Round first = new Round(4, 1);
    alices.verified(first.roster(), first.where, first.parties.get(0).neighbours());
    assertThat(alices.keptChains()).as("bob's and carol's").isEqualTo(2);

    Round next = new Round(5, 1);
    byte[][] forged = SurvivorSignatures.generate(new SecureRandom());
    next.advertised.set(1, next.advertised.get(1).toBuilder().setSigningKey(ByteString.copyFrom(forged[1])).build());
    assertThatThrownBy(() -> alices.verified(next.roster(), next.where, next.parties.get(0).neighbours()))
        .isInstanceOf(SecAggException.class)
        .hasMessageStartingWith("party 1 ('bob'): the signature of spiffe://flotilla.test/job/mnist/party/bob does "
            + "not cover these keys for round 5 attempt 1 at index 1");
    assertThat(alices.keptChains()).isEqualTo(2);
  }

  @Test
  @DisplayName("a renewed certificate and key are used at the next round: the binding carries the new chain, which "
      + "the other parties accept")
  void renewedFilesUsedAtOnce() throws Exception {
    Path own = dir.resolve("renewing-bob");
    java.nio.file.Files.createDirectories(own);
    TlsFiles files = TlsFiles.inDirectory(own);
    TlsFiles issued = TlsFiles.inDirectory(pki.party("bob"));
    for (java.util.function.Function<TlsFiles, Path> file : List.<java.util.function.Function<TlsFiles, Path>>of(
        TlsFiles::certificateChain, TlsFiles::privateKey, TlsFiles::trustedCa)) {
      java.nio.file.Files.copy(file.apply(issued), file.apply(files));
    }
    RoundKeyBinding bobs = RoundKeyBinding.of(files);
    Round round = new Round(6, 1);
    SecAggPublicKeys before = bobs.bind(round.advertised.get(1).toBuilder().clearBinding().build(), round.where);

    TlsFiles renewed = TlsFiles.inDirectory(pki.issue(pki.partyIdentity("bob"), "bob-renewed"));
    java.nio.file.Files.copy(renewed.certificateChain(), files.certificateChain(),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    java.nio.file.Files.copy(renewed.privateKey(), files.privateKey(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    SecAggPublicKeys after = bobs.bind(round.advertised.get(1).toBuilder().clearBinding().build(), round.where);

    ByteString renewedLeaf = ByteString.copyFrom(dev.flotilla.certs.Pem.readCertificate(renewed.certificateChain())
        .getEncoded());
    assertThat(before.getBinding().getCertificateChain(0)).isNotEqualTo(renewedLeaf);
    assertThat(after.getBinding().getCertificateChain(0)).isEqualTo(renewedLeaf);
    round.advertised.set(1, after);
    assertThat(bindings.get(0).verified(round.roster(), round.where, round.parties.get(0).neighbours()).getKeys(1)
        .getSigningKey()).isEqualTo(after.getSigningKey());
  }

  @Test
  @DisplayName("an aggregator that substitutes bob's consistency-check key (keeping bob's binding) is refused by "
      + "alice and carol, naming bob")
  void substitutedSigningKeyRefused() {
    Round round = new Round(3, 1);
    byte[][] forged = SurvivorSignatures.generate(new SecureRandom());
    round.advertised.set(1, round.advertised.get(1).toBuilder().setSigningKey(ByteString.copyFrom(forged[1])).build());
    for (int honest : new int[] {0, 2}) {
      assertThatThrownBy(() -> bindings.get(honest).verified(round.roster(), round.where, round.parties.get(honest).neighbours()))
          .isInstanceOf(SecAggException.class)
          .hasMessageStartingWith("party 1 ('bob'): the signature of spiffe://flotilla.test/job/mnist/party/bob does "
              + "not cover these keys for round 3 attempt 1 at index 1; this party refuses the round");
    }
  }

  @Test
  @DisplayName("bob's slot signed by a bob of another job (same CA) is refused: the identity must be a party of this job")
  void partyOfAnotherJobRefused() {
    Round round = new Round(3, 1);
    RoundKeyBinding otherJob = RoundKeyBinding.of(TlsFiles.inDirectory(
        pki.issue(Identity.party("flotilla.test", "other-job", "bob"), "other-job-bob")));
    round.advertised.set(1, otherJob.bind(round.advertised.get(1).toBuilder().clearBinding().build(), round.where));
    assertThatThrownBy(() -> bindings.get(0).verified(round.roster(), round.where, round.parties.get(0).neighbours()))
        .hasMessageStartingWith("party 1 ('bob'): its keys are signed by spiffe://flotilla.test/job/other-job/party/bob, "
            + "not a party of job mnist in flotilla.test; this party refuses the round");
  }

  @Test
  @DisplayName("keys without a binding are refused, naming the party")
  void unboundKeysRefused() {
    Round round = new Round(3, 1);
    round.advertised.set(2, round.advertised.get(2).toBuilder().clearBinding().build());
    assertThatThrownBy(() -> bindings.get(0).verified(round.roster(), round.where, round.parties.get(0).neighbours()))
        .hasMessageStartingWith("party 2 ('carol'): its keys carry no binding to its certificate; this party refuses");
  }

  @Test
  @DisplayName("bob's advertisement of an earlier round (or attempt) replayed in this one is refused, naming bob")
  void replayedRoundRefused() {
    Round earlier = new Round(2, 1);
    Round round = new Round(3, 1);
    round.advertised.set(1, earlier.advertised.get(1));
    assertThatThrownBy(() -> bindings.get(0).verified(round.roster(), round.where, round.parties.get(0).neighbours()))
        .hasMessageStartingWith("party 1 ('bob'): the signature of spiffe://flotilla.test/job/mnist/party/bob does "
            + "not cover these keys for round 3 attempt 1");
    Round retried = new Round(3, 2);
    retried.advertised.set(1, round.advertised.get(1));
    assertThatThrownBy(() -> bindings.get(0).verified(retried.roster(), retried.where, retried.parties.get(0).neighbours()))
        .hasMessageStartingWith("party 1 ('bob'): the signature of spiffe://flotilla.test/job/mnist/party/bob does "
            + "not cover these keys for round 3 attempt 2");
  }

  @Test
  @DisplayName("carol's advertisement put at bob's index is refused: signed by carol, not by the party the roster names")
  void otherPartysKeysRefused() {
    Round round = new Round(3, 1);
    round.advertised.set(1, round.advertised.get(2).toBuilder().setParty(1).build());
    assertThatThrownBy(() -> bindings.get(0).verified(round.roster(), round.where, round.parties.get(0).neighbours()))
        .hasMessageStartingWith("party 1 ('bob'): its keys are signed by spiffe://flotilla.test/job/mnist/party/carol, "
            + "not by the party the roster names");
  }

  @Test
  @DisplayName("a certificate of another CA (another job's) is refused: it does not chain to this job's CA")
  void otherCaRefused() {
    JobPki other = JobPki.create(dir.resolve("other"), "flotilla.test", "mnist");
    RoundKeyBinding impostor = RoundKeyBinding.of(TlsFiles.inDirectory(other.party("bob")));
    Round round = new Round(3, 1);
    round.advertised.set(1, impostor.bind(round.advertised.get(1).toBuilder().clearBinding().build(), round.where));
    assertThatThrownBy(() -> bindings.get(0).verified(round.roster(), round.where, round.parties.get(0).neighbours()))
        .hasMessageStartingWith("party 1 ('bob'): its binding's certificate is refused: ")
        .hasMessageContaining("does not chain to a trusted CA");
  }

  @Test
  @DisplayName("a roster that names this party otherwise, or a name twice, is refused before anything is signed")
  void rosterNamesChecked() {
    byte[] seed = new byte[SecAggParams.SEED_BYTES];
    SecAggParty alice = new SecAggParty(SecAggParams.withDefaults(seed, 3, 10), 0, new SecureRandom());
    SecAggPublicKeys keys = alice.advertiseKeys();
    assertThatThrownBy(() -> bindings.get(0).bind(keys, new RoundKeyBinding.Round(seed, 1, 1,
        List.of("mallory", "bob", "carol"))))
        .hasMessage("the aggregator's roster names this party (index 0) 'mallory', but its certificate is "
            + "spiffe://flotilla.test/job/mnist/party/alice; it takes no part in this round");
    Round round = new Round(3, 1);
    assertThatThrownBy(() -> bindings.get(0).verified(round.roster(), new RoundKeyBinding.Round(round.seed, 3, 1,
        List.of("alice", "bob", "bob")), round.parties.get(0).neighbours()))
        .hasMessage("the aggregator's roster names 'bob' twice; this party refuses the round");
  }

  @Test
  @DisplayName("in a roster of 8 with 4 neighbours each, a party checks its neighbours' bindings only: a substituted "
      + "key of a non-neighbour is its own neighbours' to refuse, one of a neighbour is refused naming it")
  void neighboursChecked() {
    List<String> names = List.of("p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7");
    List<RoundKeyBinding> eight = new ArrayList<>();
    for (String name : names) {
      eight.add(RoundKeyBinding.of(TlsFiles.inDirectory(pki.party(name))));
    }
    byte[] seed = new byte[SecAggParams.SEED_BYTES];
    new SecureRandom().nextBytes(seed);
    RoundKeyBinding.Round where = new RoundKeyBinding.Round(seed, 3, 1, names);
    SecAggParams params = new SecAggParams(seed, names.size(), 4, 3, 10);
    List<SecAggParty> parties = new ArrayList<>();
    SecAggKeyRoster.Builder roster = SecAggKeyRoster.newBuilder();
    for (int i = 0; i < names.size(); i++) {
      parties.add(new SecAggParty(params, i, new SecureRandom()));
      roster.addKeys(eight.get(i).bind(parties.get(i).advertiseKeys(), where));
    }
    int[] neighbours = parties.get(0).neighbours();
    assertThat(neighbours).hasSize(4);
    int neighbour = neighbours[0];
    int stranger = java.util.stream.IntStream.range(1, names.size())
        .filter(p -> java.util.Arrays.stream(neighbours).noneMatch(n -> n == p)).findFirst().orElseThrow();
    byte[][] forged = SurvivorSignatures.generate(new SecureRandom());

    SecAggKeyRoster strangerForged = roster.clone().setKeys(stranger, roster.getKeys(stranger).toBuilder()
        .setSigningKey(ByteString.copyFrom(forged[1]))).build();
    SecAggKeyRoster plain = eight.get(0).verified(strangerForged, where, neighbours);
    assertThat(plain.getKeysList()).allSatisfy(k -> assertThat(k.hasBinding()).isFalse());
    assertThat(parties.get(0).shareKeys(plain).getSharesCount()).isEqualTo(4);
    int strangersNeighbour = parties.get(stranger).neighbours()[0];
    assertThatThrownBy(() -> eight.get(strangersNeighbour).verified(strangerForged, where,
        parties.get(strangersNeighbour).neighbours()))
        .hasMessageStartingWith("party " + stranger + " ('p" + stranger + "'): the signature of "
            + "spiffe://flotilla.test/job/mnist/party/p" + stranger + " does not cover these keys");

    SecAggKeyRoster neighbourForged = roster.clone().setKeys(neighbour, roster.getKeys(neighbour).toBuilder()
        .setSigningKey(ByteString.copyFrom(forged[1]))).build();
    assertThatThrownBy(() -> eight.get(0).verified(neighbourForged, where, neighbours))
        .hasMessageStartingWith("party " + neighbour + " ('p" + neighbour + "'): the signature of "
            + "spiffe://flotilla.test/job/mnist/party/p" + neighbour + " does not cover these keys");
  }

  @Test
  @DisplayName("the aggregator refuses to relay a binding beyond its bounds (5 certificates)")
  void oversizeBindingBounded() {
    Round round = new Round(3, 1);
    var binding = round.advertised.get(0).getBinding().toBuilder();
    for (int i = 0; i < 4; i++) {
      binding.addCertificateChain(binding.getCertificateChain(0));
    }
    assertThat(RoundKeyBinding.boundsProblem(binding.build())).isEqualTo("its binding carries 5 certificates, not 1..4");
    assertThat(RoundKeyBinding.boundsProblem(round.advertised.get(0).getBinding())).isNull();
  }
  @Test
  @DisplayName("the aggregator refuses keys whose binding is not the caller's mTLS identity: another party's, none, "
      + "unreadable DER, beyond bounds; a virtual-party host's binding passes for the virtual parties it covers only")
  void callerChecked() throws Exception {
    Round round = new Round(3, 1);
    SecAggPublicKeys alice = round.advertised.get(0);
    SecAggPublicKeys bob = round.advertised.get(1);
    java.security.cert.X509Certificate aliceCert = dev.flotilla.certs.Pem.readCertificates(
        TlsFiles.inDirectory(pki.party("alice")).certificateChain()).get(0);

    assertThat(RoundKeyBinding.callerProblem(alice, aliceCert, "alice")).isNull();
    assertThat(RoundKeyBinding.callerProblem(bob.toBuilder().setParty(0).build(), aliceCert, "alice"))
        .isEqualTo("its keys are bound to spiffe://flotilla.test/job/mnist/party/bob, but its mTLS identity is "
            + "spiffe://flotilla.test/job/mnist/party/alice");
    assertThat(RoundKeyBinding.callerProblem(alice, aliceCert, "bob"))
        .isEqualTo("its keys are bound to spiffe://flotilla.test/job/mnist/party/alice, which does not speak for "
            + "roster party 'bob'");
    assertThat(RoundKeyBinding.callerProblem(alice.toBuilder().clearBinding().build(), aliceCert, "alice"))
        .isEqualTo("its keys carry no binding to its certificate");
    var garbage = alice.getBinding().toBuilder().setCertificateChain(0, ByteString.copyFrom(new byte[] {0x30, 0x03, 1}));
    assertThat(RoundKeyBinding.callerProblem(alice.toBuilder().setBinding(garbage).build(), aliceCert, "alice"))
        .startsWith("its binding's certificate cannot be read: ");
    var huge = alice.getBinding().toBuilder().setCertificateChain(0, ByteString.copyFrom(new byte[9000]));
    assertThat(RoundKeyBinding.callerProblem(alice.toBuilder().setBinding(huge).build(), aliceCert, "alice"))
        .isEqualTo("a certificate of its binding is 9000 bytes, more than 8192");

    Identity farm = Identity.virtualPartyHost("flotilla.test", "mnist", "farm", 4);
    java.security.cert.X509Certificate farmCert = dev.flotilla.certs.Pem.readCertificates(TlsFiles.inDirectory(
        pki.issue(dev.flotilla.certs.LeafRequest.builder(farm), "farm")).certificateChain()).get(0);
    SecAggPublicKeys fromFarm = alice.toBuilder().setBinding(alice.getBinding().toBuilder()
        .setCertificateChain(0, ByteString.copyFrom(farmCert.getEncoded()))).build();
    assertThat(RoundKeyBinding.callerProblem(fromFarm, farmCert, "farm-v3")).isNull();
    assertThat(RoundKeyBinding.callerProblem(fromFarm, farmCert, "farm-v4")).isEqualTo("its keys are bound to "
        + farm + ", which does not speak for roster party 'farm-v4'");
    assertThat(RoundKeyBinding.callerProblem(fromFarm, aliceCert, "farm-v3")).startsWith("its keys are bound to "
        + farm + ", but its mTLS identity is spiffe://flotilla.test/job/mnist/party/alice");
  }
}
