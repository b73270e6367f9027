package dev.flotilla.controller.it;

import dev.flotilla.testing.ManualClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Guice;
import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.CertificateSigningRequest;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.LeafRequest;
import dev.flotilla.certs.Pem;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.cli.CertsCommand;
import dev.flotilla.certs.enroll.CaPin;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.certs.enroll.EnrollmentException;
import dev.flotilla.certs.enroll.JoinToken;
import dev.flotilla.controller.ControllerMain;
import dev.flotilla.controller.enroll.AttemptLimiter;
import dev.flotilla.controller.enroll.EnrollmentModel;
import dev.flotilla.controller.enroll.EnrollmentServer;
import dev.flotilla.controller.enroll.EnrollmentService;
import dev.flotilla.controller.enroll.EnrollmentStore;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import dev.flotilla.protocol.tls.ExpectedPeer;
import dev.flotilla.protocol.tls.MutualTlsChannels;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.FederationGrpc;
import dev.flotilla.protocol.v1.JoinRequest;
import dev.flotilla.protocol.v1.JoinResponse;
import dev.flotilla.server.FederationServer;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.ServerModule;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Enrollment end to end on a real kube-apiserver: the coordinator makes a token with the CLI, its
 * enrollment endpoint (the controller's server class, over real TLS on loopback) signs a party's CSR,
 * the party joins the real aggregator (its ServerModule, in this JVM) with the certificate over mTLS,
 * renews over mTLS, and is revoked: the aggregator refuses its next handshake. The party's key is
 * made and kept in the test's temp directory; the API server is scanned for it at the end.
 */
@EnableKubeAPIServer(kubeAPIVersion = "1.20.2")
@RequiresRealServers(RealServer.KUBE_API_SERVER)
@DisplayName("enrollment: a party organisation joins with a one-time token, renews, and is revoked, its key never leaving it")
class EnrollmentIT {
  static final String CONTROLLER_NS = "flotilla-system";
  static final String JOB_NS = "fl";
  static final String DOMAIN = "fl.example.org";
  static final String JOB = "mnist";
  static final String FEDERATION = JOB_NS + "/" + DOMAIN;

  @KubeConfig static String kubeConfigYaml;
  static KubernetesClient client;
  static Path kubeconfig;
  static CertificateAuthorities authorities;

  @TempDir Path tmp;
  final ManualClock clock = new ManualClock(Instant.now());
  final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void cluster() throws Exception {
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    for (String ns : List.of(CONTROLLER_NS, JOB_NS)) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    kubeconfig = Files.createTempFile("enrollment-it", ".kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    authorities = new CertificateAuthorities(client, CONTROLLER_NS, ObservedState.direct(client, CONTROLLER_NS));
  }

  @AfterAll
  static void close() throws Exception {
    if (client != null) {
      client.close();
    }
    if (kubeconfig != null) {
      Files.deleteIfExists(kubeconfig);
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  record Run(int exit, String out, String err) {}

  static Run run(CommandLine cl, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** {@code bin/flotilla controller enroll token create ...}, as the coordinator types it; returns the join token. */
  static String createToken(String organisation, String ttl, int uses) {
    Run r = run(ControllerMain.commandLine(), "enroll", "token", "create", "--kubeconfig", kubeconfig.toString(),
        "--controller-namespace", CONTROLLER_NS, "--federation", FEDERATION, "--job", JOB, "--organisation", organisation,
        "--ttl", ttl, "--uses", Integer.toString(uses));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("enrolls spiffe://" + DOMAIN + "/job/" + JOB + "/party/" + organisation);
    return r.out().strip();
  }

  EnrollmentServer endpoint(int attemptsPerMinute) throws Exception {
    EnrollmentService service = new EnrollmentService(EnrollmentService.Federation.parse(FEDERATION), authorities,
        new EnrollmentStore(client, CONTROLLER_NS), clock);
    EnrollmentServer server = new EnrollmentServer(new InetSocketAddress("127.0.0.1", 0), service,
        new AttemptLimiter(attemptsPerMinute, Duration.ofMinutes(1), clock), clock);
    closing.add(server);
    return server;
  }

  /** {@code bin/flotilla certs enroll ...} on the party's host. */
  Run enrollCli(EnrollmentServer endpoint, String joinToken, String organisation, Path out) throws Exception {
    return enrollCli(endpoint.port(), joinToken, organisation, out);
  }

  /** {@code certs enroll} through {@code port} (the endpoint's, or a relay's in front of it). */
  Run enrollCli(int port, String joinToken, String organisation, Path out) throws Exception {
    Path tokenFile = tmp.resolve("token-" + organisation + "-" + System.nanoTime());
    Files.writeString(tokenFile, joinToken + "\n");
    return run(CertsCommand.commandLine(), "enroll", "--domain", DOMAIN, "--endpoint", "https://127.0.0.1:" + port,
        "--token-file", tokenFile.toString(), "--job", JOB, "--name", organisation, "--out", out.toString());
  }

  /** The real aggregator of job mnist, its certificate from the federation's CA, reading the revoked serials file. */
  FederationServer aggregator(Path revokedSerials) throws Exception {
    CertificateAuthority ca = authorities.ensure(JOB_NS, DOMAIN).ca();
    Path dir = tmp.resolve("aggregator");
    ca.issue(LeafRequest.builder(Identity.server(DOMAIN, JOB, JOB)).dnsNames(JOB + ".server." + DOMAIN).build()).writeTo(dir);
    ServerConfig config = ServerConfig.builder().jobId(JOB).rounds(1).minParties(3).expectedParties(3)
        .stateDir(tmp.resolve("state")).build();
    FederationServer server = Guice.createInjector(new ServerModule(config, new InetSocketAddress("127.0.0.1", 0),
        TlsFiles.inDirectory(dir)).revokedSerials(revokedSerials)).getInstance(FederationServer.class).start();
    closing.add(() -> server.stop(1000));
    return server;
  }

  static JoinResponse join(FederationServer server, Path party) throws Exception {
    ManagedChannel channel = MutualTlsChannels.forTarget("127.0.0.1:" + server.port(), JOB + ".server." + DOMAIN,
        TlsFiles.inDirectory(party), ExpectedPeer.aggregatorOf(DOMAIN, JOB)).build();
    try {
      return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
          .join(JoinRequest.newBuilder().setNumSamples(100).build());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  /** What the kubelet does for a ConfigMap volume: the key's text, swapped in atomically. */
  static void project(String configMapKey, Path file) throws Exception {
    var cm = client.configMaps().inNamespace(JOB_NS).withName(EnrollmentModel.revokedName(DOMAIN)).get();
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, cm == null ? "" : cm.getData().get(configMapKey));
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static String causes(Throwable e) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      all.append(t).append('\n');
    }
    return all.toString();
  }

  @Test
  @DisplayName("enroll with the CLI, join the aggregator over mTLS, renew over mTLS, revoke: the next handshake is "
      + "refused (certificate_revoked) and so is renewal; the API server never held the party's key")
  void enrollRenewRevoke() throws Exception {
    EnrollmentServer endpoint = endpoint(30);
    String join = createToken("alice", "1h", 1);
    Path alice = tmp.resolve("alice");
    Run enrolled = enrollCli(endpoint, join, "alice", alice);
    assertThat(enrolled.exit()).as(enrolled.err()).isZero();
    assertThat(enrolled.out()).contains("enrolled spiffe://fl.example.org/job/mnist/party/alice");
    IssuedCertificate first = IssuedCertificate.load(alice);
    assertThat(Identity.of(first.certificate())).isEqualTo(Identity.party(DOMAIN, JOB, "alice"));
    assertThat(first.certificate().getSubjectAlternativeNames().toString()).contains("mnist.alice.party.fl.example.org");
    assertThat(first.caCertificate()).isEqualTo(authorities.ensure(JOB_NS, DOMAIN).ca().rootCertificate());
    assertThat(Files.getPosixFilePermissions(alice.resolve("tls.key")))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

    // the token is spent: a replay is refused, naming why
    Run replay = enrollCli(endpoint, join, "alice", tmp.resolve("alice-again"));
    assertThat(replay.exit()).isEqualTo(5);
    assertThat(replay.err()).contains("HTTP 403").contains("is used up (1 of 1 uses)");

    Path revokedFile = tmp.resolve("revoked-serials");
    Files.writeString(revokedFile, "");
    FederationServer aggregator = aggregator(revokedFile);
    JoinResponse joined = join(aggregator, alice);
    assertThat(joined.getJobId()).isEqualTo(JOB);
    assertThat(joined.getPartyName()).isEqualTo("alice");

    // renewal: a fresh key, authenticated by the current certificate
    Run renewed = run(CertsCommand.commandLine(), "enroll", "--domain", DOMAIN, "--endpoint", "https://127.0.0.1:" + endpoint.port(),
        "--renew", alice.toString(), "--force");
    assertThat(renewed.exit()).as(renewed.err()).isZero();
    IssuedCertificate second = IssuedCertificate.load(alice);
    assertThat(second.certificate().getSerialNumber()).isNotEqualTo(first.certificate().getSerialNumber());
    assertThat(second.certificate().getPublicKey()).isNotEqualTo(first.certificate().getPublicKey());
    assertThat(Identity.of(second.certificate())).isEqualTo(Identity.of(first.certificate()));
    assertThat(join(aggregator, alice).getPartyName()).isEqualTo("alice");

    // revocation from the coordinator: both serials listed where the aggregator reads them
    Run revoke = run(ControllerMain.commandLine(), "enroll", "revoke", "--kubeconfig", kubeconfig.toString(),
        "--controller-namespace", CONTROLLER_NS, "--federation", FEDERATION, "--organisation", "alice");
    assertThat(revoke.exit()).as(revoke.err()).isZero();
    assertThat(revoke.out()).startsWith("revoked 2 certificates of alice in fl/flotilla-revoked.fl.example.org: ");
    project(EnrollmentModel.REVOKED_KEY, revokedFile);
    assertThatThrownBy(() -> join(aggregator, alice)).isInstanceOf(StatusRuntimeException.class)
        .satisfies(e -> assertThat(causes(e)).contains("CERTIFICATE_REVOKED"));
    // and it cannot renew its way back in
    Run again = run(CertsCommand.commandLine(), "enroll", "--domain", DOMAIN, "--endpoint", "https://127.0.0.1:" + endpoint.port(),
        "--renew", alice.toString(), "--force");
    assertThat(again.exit()).isEqualTo(5);
    assertThat(again.err()).contains("HTTP 403").contains("is revoked; enroll again with a new token");

    assertNoPrivateKeyOf(first.certificate(), first.privateKey());
    assertNoPrivateKeyOf(second.certificate(), second.privateKey());
  }

  /** The lines of {@code organisation}'s record that say renewed-to:. */
  static List<EnrollmentModel.Issued> successorLines(String organisation) {
    return EnrollmentModel.issued(client.configMaps().inNamespace(CONTROLLER_NS).withName(EnrollmentModel.enrolledName(DOMAIN))
        .get(), organisation).stream().filter(i -> i.renewedTo() != null).toList();
  }

  @Test
  @DisplayName("the CLI loses a renewal's answer (the connection is cut after the coordinator recorded it): DIR/renewal "
      + "keeps the key (0600), the next --renew asks again for it, stores the recorded certificate (same serial) and removes "
      + "DIR/renewal; the record does not grow; revoking the organisation revokes that certificate too")
  void aRenewalAskedAgainWithTheKeptKey() throws Exception {
    EnrollmentServer endpoint = endpoint(30);
    Path carol = tmp.resolve("carol");
    Run enrolled = enrollCli(endpoint, createToken("carol", "1h", 1), "carol", carol);
    assertThat(enrolled.exit()).as(enrolled.err()).isZero();
    IssuedCertificate first = IssuedCertificate.load(carol);
    java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean(true);
    try (TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", endpoint.port()),
        () -> losing.get() && !successorLines("carol").isEmpty())) {
      Run cut = run(CertsCommand.commandLine(), "enroll", "--domain", DOMAIN, "--endpoint", "https://127.0.0.1:" + relay.port(),
          "--renew", carol.toString(), "--force");
      assertThat(cut.exit()).as(cut.out() + cut.err()).isEqualTo(3);
    }
    assertThat(IssuedCertificate.load(carol).certificate()).as("nothing stored").isEqualTo(first.certificate());
    Path pending = carol.resolve("renewal");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(pending.resolve("tls.key"))))
        .isEqualTo("rw-------");
    java.security.KeyPair kept = CertificateSigningRequest.load(pending).keyPair();
    assertThat(successorLines("carol")).singleElement().extracting(EnrollmentModel.Issued::renewedKey)
        .isEqualTo(EnrollmentModel.keyDigest(kept.getPublic()));
    var recorded = EnrollmentModel.issued(client.configMaps().inNamespace(CONTROLLER_NS)
        .withName(EnrollmentModel.enrolledName(DOMAIN)).get(), "carol");

    Run again = run(CertsCommand.commandLine(), "enroll", "--domain", DOMAIN, "--endpoint", "https://127.0.0.1:" + endpoint.port(),
        "--renew", carol.toString(), "--force");

    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).contains("asking again for the key kept in " + pending);
    IssuedCertificate second = IssuedCertificate.load(carol);
    assertThat(second.certificate().getSerialNumber()).isEqualTo(successorLines("carol").get(0).renewedTo());
    assertThat(second.certificate().getPublicKey()).isEqualTo(kept.getPublic());
    assertThat(pending).doesNotExist();
    assertThat(EnrollmentModel.issued(client.configMaps().inNamespace(CONTROLLER_NS)
        .withName(EnrollmentModel.enrolledName(DOMAIN)).get(), "carol")).as("the record does not grow").isEqualTo(recorded);

    // the certificate sent again carries the recorded serial: revoking carol reaches it
    Path revokedFile = tmp.resolve("revoked-serials");
    Files.writeString(revokedFile, "");
    FederationServer aggregator = aggregator(revokedFile);
    assertThat(join(aggregator, carol).getPartyName()).isEqualTo("carol");
    Run revoke = run(ControllerMain.commandLine(), "enroll", "revoke", "--kubeconfig", kubeconfig.toString(),
        "--controller-namespace", CONTROLLER_NS, "--federation", FEDERATION, "--organisation", "carol");
    assertThat(revoke.exit()).as(revoke.err()).isZero();
    assertThat(revoke.out()).startsWith("revoked 2 certificates of carol");
    project(EnrollmentModel.REVOKED_KEY, revokedFile);
    assertThatThrownBy(() -> join(aggregator, carol)).isInstanceOf(StatusRuntimeException.class)
        .satisfies(e -> assertThat(causes(e)).contains("CERTIFICATE_REVOKED"));
    assertNoPrivateKeyOf(second.certificate(), second.privateKey());
  }

  /** The lines of {@code organisation}'s record. */
  static List<EnrollmentModel.Issued> recordOf(String organisation) {
    return EnrollmentModel.issued(client.configMaps().inNamespace(CONTROLLER_NS).withName(EnrollmentModel.enrolledName(DOMAIN))
        .get(), organisation);
  }

  @Test
  @DisplayName("the CLI loses a first enrollment's answer (the connection is cut after the coordinator recorded it): "
      + "OUT/enrollment keeps the key (0600); the next run with the token, used up by then, asks again for that key, stores "
      + "the recorded certificate (same serial) and removes OUT/enrollment; the record does not grow; a run for another "
      + "organisation into that OUT is refused, the kept key untouched")
  void aFirstEnrollmentAskedAgainWithTheKeptKey() throws Exception {
    EnrollmentServer endpoint = endpoint(30);
    String token = createToken("erin", "1h", 1);
    Path erin = tmp.resolve("erin");
    java.util.concurrent.atomic.AtomicBoolean losing = new java.util.concurrent.atomic.AtomicBoolean(true);
    try (TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", endpoint.port()),
        () -> losing.get() && !recordOf("erin").isEmpty())) {
      Run cut = enrollCli(relay.port(), token, "erin", erin);
      assertThat(cut.exit()).as(cut.out() + cut.err()).isEqualTo(3);
    }
    assertThat(erin.resolve("tls.crt")).as("nothing stored").doesNotExist();
    Path pending = erin.resolve("enrollment");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(pending.resolve("tls.key"))))
        .isEqualTo("rw-------");
    java.security.KeyPair kept = CertificateSigningRequest.load(pending).keyPair();
    List<EnrollmentModel.Issued> recorded = recordOf("erin");
    assertThat(recorded).hasSize(1);

    Run other = enrollCli(endpoint, createToken("frank", "1h", 1), "frank", erin);
    assertThat(other.exit()).isEqualTo(5);
    assertThat(other.err()).contains(pending + " holds the key of an enrollment of").contains("that was not stored, not of "
        + Identity.party(DOMAIN, JOB, "frank"));
    assertThat(CertificateSigningRequest.load(pending).keyPair().getPublic()).isEqualTo(kept.getPublic());
    assertThat(recordOf("frank")).as("nothing asked for frank").isEmpty();

    Run again = enrollCli(endpoint, token, "erin", erin);

    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).contains("asking again for the key kept in " + pending);
    IssuedCertificate issued = IssuedCertificate.load(erin);
    assertThat(issued.certificate().getSerialNumber()).isEqualTo(recorded.get(0).serial());
    assertThat(issued.certificate().getPublicKey()).isEqualTo(kept.getPublic());
    assertThat(Identity.of(issued.certificate())).isEqualTo(Identity.party(DOMAIN, JOB, "erin"));
    assertThat(pending).doesNotExist();
    assertThat(recordOf("erin")).as("the record does not grow").isEqualTo(recorded);
    assertNoPrivateKeyOf(issued.certificate(), issued.privateKey());
  }

  @Test
  @DisplayName("hostile requests: expired token, CSR naming another organisation or the server role, oversized CSR, a "
      + "coordinator not matching the pin, too many attempts: each refused with a reason, the token unspent")
  void hostile() throws Exception {
    EnrollmentServer endpoint = endpoint(30);
    JoinToken join = JoinToken.parse(createToken("bob", "1h", 1));
    EnrollmentClient party = new EnrollmentClient(URI.create("https://127.0.0.1:" + endpoint.port()), DOMAIN, Duration.ofSeconds(30));
    Identity bob = Identity.party(DOMAIN, JOB, "bob");

    Identity carol = Identity.party(DOMAIN, JOB, "carol");
    assertThatThrownBy(() -> party.enroll(join, carol, CertificateSigningRequest.create(carol,
        List.of("mnist.carol.party." + DOMAIN), KeyType.EC_P256)))
        .isInstanceOf(EnrollmentException.class)
        .hasMessageContaining("HTTP 403")
        .hasMessageContaining("it asks for spiffe://fl.example.org/job/mnist/party/carol, but token " + join.token().id()
            + " enrolls spiffe://fl.example.org/job/mnist/party/bob");
    Identity server = Identity.server(DOMAIN, JOB, JOB);
    assertThatThrownBy(() -> party.enroll(join, server, CertificateSigningRequest.create(server,
        List.of("mnist.server." + DOMAIN), KeyType.EC_P256)))
        .isInstanceOf(EnrollmentException.class)
        .hasMessageContaining("HTTP 403")
        .hasMessageContaining("CSR asks for the server identity spiffe://fl.example.org/job/mnist/server/mnist but is being signed as role party");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      many.add("name-" + i + ".bob.party." + DOMAIN);
    }
    CertificateSigningRequest huge = CertificateSigningRequest.create(bob, many, KeyType.EC_P256);
    assertThat(huge.pem().length()).isGreaterThan(16 * 1024);
    assertThatThrownBy(() -> party.enroll(join, bob, huge)).isInstanceOf(EnrollmentException.class)
        .hasMessageContaining("HTTP 413").hasMessageContaining("a CSR is at most 16384 bytes");

    // a coordinator whose CA is not the pinned one gets no token and no CSR: the party's TLS refuses it
    CaPin otherPin = CaPin.of(CertificateAuthority.createRoot("Someone else", Duration.ofDays(1), KeyType.EC_P256).certificate());
    Run pinned = enrollCli(endpoint, join.token().value() + ":" + otherPin, "bob", tmp.resolve("bob-pinned"));
    assertThat(pinned.exit()).isEqualTo(7);
    assertThat(pinned.err()).contains("pin");

    // refusals did not spend the token: bob still enrolls, once
    IssuedCertificate issued = party.enroll(join, bob, CertificateSigningRequest.create(bob, List.of("mnist.bob.party." + DOMAIN),
        KeyType.EC_P256));
    assertThat(Identity.of(issued.certificate())).isEqualTo(bob);

    // expired: the same endpoint an hour and a minute later
    JoinToken late = JoinToken.parse(createToken("dave", "1h", 3));
    clock.advance(Duration.ofMinutes(61));
    Identity dave = Identity.party(DOMAIN, JOB, "dave");
    assertThatThrownBy(() -> party.enroll(late, dave, CertificateSigningRequest.create(dave, List.of(), KeyType.EC_P256)))
        .isInstanceOf(EnrollmentException.class).hasMessageContaining("HTTP 403")
        .hasMessageContaining("token " + late.token().id() + " expired at");

    // attempts per address are bounded
    EnrollmentServer strict = endpoint(2);
    EnrollmentClient hurried = new EnrollmentClient(URI.create("https://127.0.0.1:" + strict.port()), DOMAIN, Duration.ofSeconds(30));
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      try {
        hurried.enroll(late, dave, CertificateSigningRequest.create(dave, List.of(), KeyType.EC_P256));
        statuses.add(200);
      } catch (EnrollmentException e) {
        statuses.add(e.status());
      }
    }
    assertThat(statuses).containsExactly(403, 403, 429);
    // a renewal counts against the party's identity, not against the address whose enrollment attempts are spent
    // (behind an ingress every party shares one); its own identity's bound holds
    List<Integer> renewals = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      try {
        hurried.renew(issued, CertificateSigningRequest.create(bob, List.of("mnist.bob.party." + DOMAIN), KeyType.EC_P256));
        renewals.add(200);
      } catch (EnrollmentException e) {
        renewals.add(e.status());
      }
    }
    assertThat(renewals.get(0)).as("renewals %s", renewals).isEqualTo(200);
    assertThat(renewals.get(2)).as("renewals %s", renewals).isEqualTo(429);
    assertNoPrivateKeyOf(issued.certificate(), issued.privateKey());
  }

  private static final Pattern PEM_KEY = Pattern.compile(
      "-----BEGIN ([A-Z ]*)PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----");

  /**
   * Scans every object of every listable resource type in the API server (Secrets decoded) for the
   * party's key: its PKCS#8 base64 text, or any PEM private key whose public half is the party's.
   */
  static void assertNoPrivateKeyOf(X509Certificate partyCertificate, PrivateKey partyKey) {
    String keyBase64 = Base64.getEncoder().encodeToString(partyKey.getEncoded());
    List<String> texts = new ArrayList<>();
    for (Secret s : client.secrets().inAnyNamespace().list().getItems()) {
      if (s.getData() != null) {
        s.getData().values().forEach(v -> texts.add(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
      }
    }
    int kinds = 0;
    List<String> groupVersions = new ArrayList<>(List.of("v1"));
    client.getApiGroups().getGroups().forEach(g -> g.getVersions().forEach(v -> groupVersions.add(v.getGroupVersion())));
    for (String gv : groupVersions) {
      for (APIResource r : client.getApiResources(gv).getResources()) {
        if (r.getName().contains("/") || r.getVerbs() == null || !r.getVerbs().contains("list")) {
          continue;
        }
        kinds++;
        List<GenericKubernetesResource> items = r.getNamespaced()
            ? client.genericKubernetesResources(gv, r.getKind()).inAnyNamespace().list().getItems()
            : client.genericKubernetesResources(gv, r.getKind()).list().getItems();
        items.forEach(o -> texts.add(Serialization.asJson(o).replace("\\n", "\n")));
      }
    }
    assertThat(kinds).as("resource types scanned").isGreaterThan(20);
    int keysSeen = 0;
    for (String text : texts) {
      assertThat(text.replaceAll("\\s", "")).doesNotContain(keyBase64);
      Matcher m = PEM_KEY.matcher(text);
      while (m.find()) {
        keysSeen++;
        PrivateKey stored;
        try {
          stored = Pem.parsePrivateKey(m.group(), "scan");
        } catch (PkiException e) {
          continue;
        }
        assertThat(CertificateAuthority.keyMatches(partyCertificate.getPublicKey(), stored))
            .as("a private key stored in the API server belongs to the party").isFalse();
      }
    }
    // the scan sees the keys that are there: the CA's, in its Secret
    assertThat(keysSeen).as("private keys found by the scan (the CA's at least)").isPositive();
  }

}
