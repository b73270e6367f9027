package dev.flotilla.certs.cli;

import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.PkiException;
import dev.flotilla.certs.Role;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/** The options of {@code flotilla certs} and its sub-commands, each defined once (cli/README.md). */
public final class CertsOptions {
  private CertsOptions() {}

  public static final ConfigOption<Path> CA = ConfigOption.path("--ca").paramLabel("CA")
      .description("The CA: its directory from 'certs init-ca' (ca.crt, ca.key), or its ca.crt with ca.key beside it.");
  public static final ConfigOption<Role> ROLE = ConfigOption.of("--role", "ROLE", refusal(Role::fromCliName), Role::pathSegment)
      .description("server, party, ingress (a TLS-terminating proxy) or controller.");
  public static final ConfigOption<String> DOMAIN = ConfigOption.string("--domain").paramLabel("DOMAIN")
      .description("The federation's trust domain, e.g. fl.example.org: the identity is spiffe://DOMAIN/...");
  public static final ConfigOption<String> JOB = ConfigOption.string("--job").paramLabel("JOB")
      .description("The job a server or party belongs to (required for those roles; none for ingress and controller).");
  public static final ConfigOption<String> NAME = ConfigOption.string("--name").paramLabel("NAME")
      .description("Name of the holder (a DNS label; also the CN). By convention a server is named after its job.");
  public static final ConfigOption<String> DNS = ConfigOption.string("--dns").paramLabel("NAME").repeatable()
      .defaultText("for a server: JOB.server.DOMAIN; for a party: JOB.NAME.party.DOMAIN; ingress and controller "
          + "certificates carry none")
      .description("DNS names within the role's zone.");
  public static final ConfigOption<Integer> VIRTUAL_PARTIES = ConfigOption.integer("--virtual-parties").paramLabel("K")
      .defaultValue(0)
      .check(k -> k >= 0 && k <= 10_000, "in 0..10000")
      .description("For a party: a virtual-party host certificate for K virtual parties, "
          + "spiffe://DOMAIN/job/JOB/party/NAME/virtual/K, covering NAME-v0 .. NAME-v<K-1> (what 'party --virtual-parties K' "
          + "presents). 0: an ordinary party.");
  /** A lifetime in days (a non-positive one is refused by the command, naming it). */
  static ConfigOption<Integer> days(int days) {
    return ConfigOption.integer("--days").defaultValue(days).description("Lifetime in days.");
  }

  public static final ConfigOption<Path> INIT_CA_OUT = ConfigOption.path("--out").paramLabel("DIR")
      .description("Directory for ca.crt and ca.key.");
  public static final ConfigOption<String> CA_NAME = ConfigOption.string("--name").paramLabel("NAME")
      .defaultValue("Flotilla CA")
      .description("Common name of the CA.");
  public static final ConfigOption<KeyType> KEY_TYPE =
      ConfigOption.of("--key-type", "TYPE", refusal(KeyType::fromCliName), KeyType::cliName)
          .defaultValue(KeyType.EC_P256)
          .description("ec (ECDSA P-256), rsa2048 or rsa3072.");
  public static final OptionSet INIT_CA = OptionSet.of("flotilla certs init-ca", INIT_CA_OUT, CA_NAME, days(1825), KEY_TYPE);

  public static final OptionSet ISSUE = OptionSet.of("flotilla certs issue", CA,
      INIT_CA_OUT.withDescription("Directory for tls.crt, tls.key, ca.crt."), ROLE, DOMAIN, JOB, NAME, VIRTUAL_PARTIES, DNS, days(90));

  public static final OptionSet CSR = OptionSet.of("flotilla certs csr",
      INIT_CA_OUT.withDescription("Directory for tls.key and tls.csr."), ROLE, DOMAIN, JOB, NAME, VIRTUAL_PARTIES, DNS);

  public static final OptionSet SIGN = OptionSet.of("flotilla certs sign", CA,
      ConfigOption.path("--csr").description("The PEM certificate signing request."),
      ConfigOption.path("--out").paramLabel("DIR")
          .defaultText("the CSR's directory, so that key, CSR and certificate of one identity live together")
          .description("Directory for tls.crt and ca.crt."),
      ROLE.withDescription("The role the CSR's identity must have: server, party, ingress or controller."),
      DOMAIN.withDescription("The federation's trust domain: the identity and every DNS name must belong to it."),
      JOB.withDescription("Sign only identities of this job."));

  public static final ConfigOption<Boolean> FORCE = ConfigOption.onOff("--force").description("Renew even when not due.");
  public static final OptionSet RENEW = OptionSet.of("flotilla certs renew", CA,
      ConfigOption.path("--dir").paramLabel("DIR").description("Directory with tls.crt, tls.key, ca.crt."), FORCE);

  public static final ConfigOption<URI> ENDPOINT = ConfigOption.of("--endpoint", "URL", URI::create, URI::toString)
      .defaultText("https://flotilla-enroll.server.DOMAIN")
      .description("The enrollment endpoint. An address that reaches it also works (https://203.0.113.7:443): TLS "
          + "still asks for and checks flotilla-enroll.server.DOMAIN.");
  public static final OptionSet ENROLL = OptionSet.of("flotilla certs enroll",
      DOMAIN.withDescription("The federation's trust domain."), ENDPOINT,
      ConfigOption.path("--renew").paramLabel("DIR")
          .description("Renew the certificate in DIR (tls.crt, tls.key, ca.crt) with a fresh key when due (two thirds "
              + "of its lifetime), or always with --force. The new key waits in DIR/renewal/ (0600) until the certificate "
              + "is stored: a run after a lost answer asks for that key again. Exclusive with --token-file, --job, --name "
              + "and --out, which a first enrollment needs all of."),
      ConfigOption.path("--token-file")
          .description("File holding the join token <id>.<secret>:sha256:<hex> (a file, so the secret is not in ps)."),
      JOB.withDescription("The job the token admits this party to."),
      NAME.withDescription("The organisation the token was made for."),
      INIT_CA_OUT.withDescription("Directory for tls.key, tls.crt, ca.crt. The new key waits in DIR/enrollment/ (0600) "
          + "until the certificate is stored: a run after a lost answer asks for that key again, and the coordinator "
          + "gives the certificate it recorded for it (the token, used up by then, is not spent again)."),
      FORCE.withDescription("With --renew: renew even when not due."));

  /** Every sub-command's set, in the order of {@code flotilla certs --help}. */
  public static final List<OptionSet> SETS = List.of(INIT_CA, ISSUE, CSR, SIGN, RENEW, ENROLL);

  /** {@code cliName} as a parser whose refusal is an IllegalArgumentException (a usage error naming the flag). */
  private static <T> Function<String, T> refusal(Function<String, T> cliName) {
    return text -> {
      try {
        return cliName.apply(text);
      } catch (PkiException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    };
  }
}
