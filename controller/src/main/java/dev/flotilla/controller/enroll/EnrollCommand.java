package dev.flotilla.controller.enroll;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.enroll.CaPin;
import dev.flotilla.certs.enroll.EnrollmentEndpoint;
import dev.flotilla.certs.enroll.EnrollmentToken;
import dev.flotilla.certs.enroll.JoinToken;
import dev.flotilla.certs.enroll.RevokedSerials;
import dev.flotilla.cli.Cli;
import dev.flotilla.controller.operator.CertificateAuthorities;
import dev.flotilla.controller.operator.ObservedState;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bin/flotilla controller enroll ...}: the coordinator's side of enrollment, run against its own cluster. */
@Command(name = "enroll", mixinStandardHelpOptions = true,
    description = "Enrollment of party organisations into a federation served by this coordinator (see --enroll-federation).",
    subcommands = {EnrollCommand.Token.class, EnrollCommand.Revoke.class})
public final class EnrollCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (token, revoke)");
  }

  /** Where the coordinator's state is: its API server and the controller's namespace. */
  static final class Cluster {
    @Option(names = "--kubeconfig")
    Path kubeconfig;

    @Option(names = "--controller-namespace", required = true)
    String controllerNamespace;

    @Option(names = "--federation", required = true)
    String federation;

    KubernetesClient client() {
      Config config;
      if (kubeconfig == null) {
        config = Config.autoConfigure(null);
      } else {
        Cli.requireFile("--kubeconfig", kubeconfig);
        try {
          config = Config.fromKubeconfig(Files.readString(kubeconfig));
        } catch (IOException e) {
          throw new UncheckedIOException("--kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
        }
      }
      return new KubernetesClientBuilder().withConfig(config).build();
    }

    EnrollmentService.Federation parsed() {
      return EnrollmentService.Federation.parse(federation);
    }
  }

  @Command(name = "token", mixinStandardHelpOptions = true, description = "Enrollment tokens.",
      subcommands = {Create.class, RevokeToken.class})
  static final class Token implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand (create, revoke)");
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {"Make a one-time enrollment token for one organisation of one job, and print the join token",
          "<id>.<secret>:sha256:<CA pin> on stdout (only the hash of the secret is kept, in the Secret",
          "flotilla-enroll-token.<id> of the controller's namespace). Give it to the organisation over a channel you trust;",
          "it runs 'bin/flotilla certs enroll --token-file FILE --domain DOMAIN --job JOB --name ORG --out DIR'."})
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Cluster cluster;

    @Option(names = "--job", required = true)
    String job;

    @Option(names = "--organisation", required = true)
    String organisation;

    @Option(names = "--ttl")
    Duration ttl;

    @Option(names = "--uses")
    int uses;

    @Override
    public Integer call() {
      if (ttl.compareTo(Duration.ofDays(7)) > 0) {
        throw new IllegalArgumentException("--ttl is at most 7d: a join token is for joining now, not a standing credential");
      }
      EnrollmentService.Federation federation = cluster.parsed();
      Identity.party(federation.domain(), job, organisation); // names checked before anything is written
      EnrollmentToken token = EnrollmentToken.generate(new SecureRandom());
      Instant expires = Instant.now().plus(ttl);
      TokenGrant grant = TokenGrant.of(token, federation.domain(), federation.namespace(), job, organisation, expires, uses);
      try (KubernetesClient client = cluster.client()) {
        CertificateAuthorities authorities = new CertificateAuthorities(client, cluster.controllerNamespace,
            ObservedState.direct(client, cluster.controllerNamespace));
        CaPin pin = CaPin.of(authorities.ensure(federation.namespace(), federation.domain()).ca().rootCertificate());
        new EnrollmentStore(client, cluster.controllerNamespace).create(grant);
        spec.commandLine().getOut().println(new JoinToken(token, pin).value());
        spec.commandLine().getErr().printf("token %s enrolls %s until %s (%d use%s); endpoint https://%s%n", token.id(),
            grant.identity(), expires, uses, uses == 1 ? "" : "s", EnrollmentEndpoint.host(federation.domain()));
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = {"Revoke an enrollment token before it is used up or expires: a later enrollment with it is refused",
          "(403, naming the revocation). Certificates it already gave stay valid: revoke those with 'enroll revoke'."})
  static final class RevokeToken implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Cluster cluster;

    @Option(names = "--id", required = true)
    String id;

    @Override
    public Integer call() {
      EnrollmentService.Federation federation = cluster.parsed();
      try (KubernetesClient client = cluster.client()) {
        if (!new EnrollmentStore(client, cluster.controllerNamespace).revokeToken(id, federation.namespace(), federation.domain(),
            Instant.now())) {
          throw new dev.flotilla.cli.CommandFailure(dev.flotilla.cli.ExitCode.REFUSED, "no enrollment token " + id + " in "
              + cluster.controllerNamespace);
        }
        spec.commandLine().getOut().printf("revoked token %s of %s%n", id, federation);
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = {"Revoke every certificate enrolled or renewed for an organisation: their serials go into the ConfigMap",
          "flotilla-revoked.DOMAIN of the federation's job namespace, which aggregators read (--revoked-serials); each",
          "refuses the organisation's next TLS handshake. Renewal of those certificates is refused too."})
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Cluster cluster;

    @Option(names = "--organisation", required = true)
    String organisation;

    @Override
    public Integer call() {
      EnrollmentService.Federation federation = cluster.parsed();
      try (KubernetesClient client = cluster.client()) {
        List<BigInteger> revoked = new EnrollmentStore(client, cluster.controllerNamespace)
            .revoke(federation.namespace(), federation.domain(), organisation);
        spec.commandLine().getOut().printf("revoked %d certificate%s of %s in %s/%s%s%n", revoked.size(),
            revoked.size() == 1 ? "" : "s", organisation, federation.namespace(), EnrollmentModel.revokedName(federation.domain()),
            revoked.isEmpty() ? " (none new)" : ": " + String.join(", ", revoked.stream().map(RevokedSerials::hex).toList()));
      }
      return 0;
    }
  }

}
