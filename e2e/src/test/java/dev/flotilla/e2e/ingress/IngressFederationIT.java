package dev.flotilla.e2e.ingress;

import static dev.flotilla.testing.RealServer.FASHION_MNIST;
import static dev.flotilla.testing.RealServer.NGINX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.flotilla.certs.JobPki;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.demo.ChildProcess;
import dev.flotilla.demo.FederationPki;
import dev.flotilla.demo.FlotillaJars;
import dev.flotilla.demo.LocalFederation;
import dev.flotilla.demo.PartyArgs;
import dev.flotilla.demo.ProcessGroup;
import dev.flotilla.demo.TlsPaths;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.protocol.status.JobStatus;
import dev.flotilla.protocol.status.StatusJson;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production path on one machine: the aggregator and 3 parties as processes, the parties dialling
 * {@code job1.server.<domain>} through a real nginx configured from the controller's Ingress.
 */
@RequiresRealServers({NGINX, FASHION_MNIST})
@DisplayName("Training through nginx configured from the controller's Ingress")
class IngressFederationIT {

  static final Duration RUN_TIMEOUT = Duration.ofMinutes(15);

  static LocalFederation.Settings settings(int parties) {
    return new LocalFederation.Settings()
        .parties(parties)
        .rounds(2)
        .model("mlp")
        .partition("dirichlet:0.5")
        .seed(42)
        .dataDirectory(RealServer.fashionMnistDirectory())
        .localEpochs(1)
        .batchSize(128)
        .roundTimeout(Duration.ofSeconds(300));
  }

  @Test
  @DisplayName("passthrough: 3 parties train through nginx's SNI routing; the aggregator sees their certificate "
      + "identities; a party with a certificate from another CA is refused")
  void passthrough(@TempDir Path dir) {
    FlotillaJars jars = FlotillaJars.locate();
    try (LocalFederation federation = LocalFederation.prepare(settings(3), jars, dir.resolve("federation"));
        NginxProcess nginx = Ingresses.start(dir.resolve("nginx"),
            Ingresses.controllerIngress(TlsMode.PASSTHROUGH, federation.port()), federation.pki(), federation.port(),
            Map.of());
        ProcessGroup others = new ProcessGroup(dir.resolve("other-logs"))) {
      federation.routePartiesThrough(nginx.address()).start();
      ChildProcess intruder = startForeignParty(others, jars, federation, nginx, dir.resolve("foreign"));

      JobStatus status = awaitFinished(federation, nginx);

      assertThat(status.parties()).as("identities the aggregator saw")
          .containsExactlyInAnyOrder("party-1", "party-2", "party-3");
      assertThat(status.roundsCompleted()).isEqualTo(2);
      OptionalInt intruderExit = intruder.waitFor(60, TimeUnit.SECONDS);
      assertThat(intruderExit).as("the foreign party's exit; log:\n%s", intruder.tail(30)).isPresent();
      assertThat(intruderExit.getAsInt()).as("the foreign party's exit; log:\n%s", intruder.tail(30)).isNotZero();
      assertThat(intruder.log()).containsPattern(Pattern.compile("(?i)certificate|handshake|unknown.ca|UNAUTHENTICATED"));
      assertThat(status.parties()).doesNotContain("intruder");
      // every party connection went through nginx to the aggregator (nginx logs them as they close)
      assertThat(nginx.streamAccessLog().lines()
          .filter(l -> l.contains("sni=\"" + federation.pki().serverName() + "\" backend=127.0.0.1:" + federation.port()))
          .count()).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  @DisplayName("terminate: 3 parties train through nginx ending TLS; nginx verifies their certificates and forwards "
      + "them (ssl-client-cert) over its own mutual TLS to the aggregator, which trusts it as a proxy and sees the "
      + "parties' certificate identities")
  void terminate(@TempDir Path dir) {
    FlotillaJars jars = FlotillaJars.locate();
    LocalFederation.Settings settings = settings(3).serverArg("--trusted-proxy", Ingresses.PROXY);
    try (LocalFederation federation = LocalFederation.prepare(settings, jars, dir.resolve("federation"));
        NginxProcess nginx = Ingresses.start(dir.resolve("nginx"),
            Ingresses.controllerIngress(TlsMode.TERMINATE, federation.port()), federation.pki(), federation.port(),
            Map.of())) {
      federation.routePartiesThrough(nginx.address()).start();

      JobStatus status = awaitFinished(federation, nginx);

      assertThat(status.roundsCompleted()).isEqualTo(2);
      assertThat(status.parties()).as("identities the aggregator saw")
          .containsExactlyInAnyOrder("party-1", "party-2", "party-3")
          .doesNotContain(Ingresses.PROXY);
      assertThat(nginx.accessLog()).contains("POST /flotilla.v1.Federation/Join HTTP/2.0\" 200")
          .contains("/flotilla.v1.Federation/SubmitUpdate");
    }
  }

  /** A party whose certificate comes from another CA (it still trusts the job's CA for the server). */
  static ChildProcess startForeignParty(ProcessGroup group, FlotillaJars jars, LocalFederation federation,
      NginxProcess nginx, Path dir) {
    // the same party identity, from a CA of its own
    Path foreign = JobPki.create(dir.resolve("other-ca"), FederationPki.DOMAIN, "other")
        .issue(federation.pki().partyIdentity("intruder"), "intruder");
    TlsPaths tls = new TlsPaths(foreign.resolve("tls.crt"), foreign.resolve("tls.key"), federation.pki().caCertificate());
    PartyArgs args = PartyArgs.create(nginx.address(), federation.pki().serverName(), tls)
        .data(RealServer.fashionMnistDirectory())
        .partition("iid", 0, 3, 42)
        .model("mlp");
    return group.start("intruder", jars.javaCommand("party", List.of(), args.toList()), dir, Map.of());
  }

  static JobStatus awaitFinished(LocalFederation federation, NginxProcess nginx) {
    OptionalInt serverExit = federation.server().waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (serverExit.isEmpty() || serverExit.getAsInt() != 0) {
      fail("server " + (serverExit.isEmpty() ? "still running after " + RUN_TIMEOUT : "exited " + serverExit.getAsInt())
          + "\nstatus: " + federation.status().map(StatusJson::write).orElse("none")
          + "\n" + federation.logTails(40) + "\nnginx error log:\n" + nginx.errorLog());
    }
    for (ChildProcess party : federation.parties()) {
      OptionalInt code = party.waitFor(90, TimeUnit.SECONDS);
      if (code.isEmpty() || code.getAsInt() != 0) {
        fail(party.name() + (code.isEmpty() ? " still running 90 s after the server finished" : " exited "
            + code.getAsInt()) + "\n" + federation.logTails(40) + "\nnginx error log:\n" + nginx.errorLog());
      }
    }
    JobStatus status = federation.status().orElseGet(() -> fail("no status file " + federation.statusFile()));
    assertThat(status.finished()).as("finished in %s", StatusJson.write(status)).isTrue();
    return status;
  }
}
