package dev.flotilla.controller.enroll;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.controller.ControllerOptions;
import java.nio.file.Path;
import java.time.Duration;

/** The options of {@code flotilla controller enroll token create} and {@code ... enroll revoke}, each defined once. */
public final class EnrollOptions {
  private EnrollOptions() {}

  public static final ConfigOption<Path> KUBECONFIG =
      ControllerOptions.KUBECONFIG.withDescription("kubeconfig of the coordinator's cluster");
  /** Not the controller's own --controller-namespace: that one has a default, here the operator names it. */
  public static final ConfigOption<String> CONTROLLER_NAMESPACE = ConfigOption.string("--controller-namespace")
      .paramLabel("NS")
      .description("the controller's namespace, where the CAs and the token Secrets live");
  public static final ConfigOption<String> FEDERATION = ConfigOption.string("--federation").paramLabel("NS/DOMAIN")
      .description("the federation: the job namespace whose CA signs (the aggregators' namespace) and the trust domain");
  private static final ConfigOption<?>[] CLUSTER = {KUBECONFIG, CONTROLLER_NAMESPACE, FEDERATION};

  public static final ConfigOption<String> JOB = ConfigOption.string("--job").paramLabel("JOB")
      .description("the job the organisation's party joins");
  public static final ConfigOption<String> ORGANISATION = ConfigOption.string("--organisation").paramLabel("ORG")
      .description("the organisation's name (a DNS label): its certificate is spiffe://DOMAIN/job/JOB/party/ORG");
  public static final ConfigOption<Duration> TTL = ConfigOption.positiveDuration("--ttl")
      .defaultValue(Duration.ofHours(24))
      .description("how long the token may be used (at most 7d)");
  public static final ConfigOption<Integer> USES = ConfigOption.integer("--uses")
      .defaultValue(1)
      .description("how many enrollments it allows");

  public static final OptionSet CREATE = OptionSet.of("flotilla controller enroll token create", CLUSTER)
      .with(JOB, ORGANISATION, TTL, USES);
  public static final ConfigOption<String> TOKEN_ID = ConfigOption.string("--id").paramLabel("ID")
      .description("the token's id: the 6 characters before the dot of the join token (what 'token create' logs)");
  public static final OptionSet REVOKE_TOKEN = OptionSet.of("flotilla controller enroll token revoke", CLUSTER).with(TOKEN_ID);
  public static final OptionSet REVOKE = OptionSet.of("flotilla controller enroll revoke", CLUSTER)
      .with(ORGANISATION.withDescription("the organisation to revoke"));
}
