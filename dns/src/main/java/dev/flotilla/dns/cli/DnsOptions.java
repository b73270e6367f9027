package dev.flotilla.dns.cli;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.cli.OptionSet;
import dev.flotilla.dns.CoreDnsConfigMapRef;
import dev.flotilla.dns.DnsRecord;
import java.util.List;

/** The options of {@code flotilla dns render|hosts|apply}, each defined once (cli/README.md). */
public final class DnsOptions {
  private DnsOptions() {}

  public static final ConfigOption<DnsRecord> RECORD =
      ConfigOption.of("--record", "HOST=IP", DnsRecord::parse, r -> r.host() + "=" + r.address()).repeatable()
          .description("A record to add or replace: an exact host or *.domain, and an IPv4 (A) or IPv6 (AAAA) "
              + "address, e.g. '*.server.example.org=10.0.0.1'.");
  public static final ConfigOption<String> REMOVE = host("--remove")
      .description("A host whose records (A and AAAA) to remove from the owner's region.");
  public static final ConfigOption<String> OWNER = ConfigOption.string("--owner").paramLabel("OWNER")
      .defaultValue("cli")
      .description("Owner of the managed region to edit; other owners' records are never touched. The controller "
          + "uses iflearnerjob/<namespace>/<name>.");
  public static final ConfigOption<Boolean> REPLACE = ConfigOption.onOff("--replace")
      .description("Make the owner's records exactly the --record set (removing its others) instead of adding to them.");
  public static final ConfigOption<String> SERVER_BLOCK = ConfigOption.string("--server-block").paramLabel("KEY")
      .defaultValue(".:53")
      .description("Key of the server block to edit.");
  private static final ConfigOption<?>[] RECORD_OPTIONS = {RECORD, REMOVE, OWNER, REPLACE, SERVER_BLOCK};

  public static final OptionSet RENDER = OptionSet.of("flotilla dns render",
      ConfigOption.string("--corefile").paramLabel("FILE").description("The Corefile to edit ('-' for stdin)."))
      .with(RECORD_OPTIONS);

  public static final OptionSet HOSTS = OptionSet.of("flotilla dns hosts",
      RECORD.withDescription("A record, e.g. 'server.example.org=10.0.0.1' or '*.server.example.org=10.0.0.1'."),
      host("--name").description("A concrete host name to list for the wildcard records that cover it, e.g. "
          + "job1.server.example.org."),
      ConfigOption.string("--hosts-file").paramLabel("FILE")
          .description("Print this hosts file with its flotilla-dns block replaced (or appended) instead of the block "
              + "alone. The file itself is not written."));

  public static final OptionSet APPLY = OptionSet.of("flotilla dns apply",
      ConfigOption.string("--kubeconfig").paramLabel("FILE").defaultText("$KUBECONFIG, ~/.kube/config, or the in-cluster service account")
          .description("Kubeconfig to use."),
      ConfigOption.string("--namespace").paramLabel("NS").defaultValue(CoreDnsConfigMapRef.DEFAULT_NAMESPACE)
          .description("Namespace of the ConfigMap."),
      ConfigOption.string("--configmap").paramLabel("NAME").defaultValue(CoreDnsConfigMapRef.DEFAULT_NAME)
          .description("Name of the ConfigMap."),
      ConfigOption.string("--key").paramLabel("KEY").defaultValue(CoreDnsConfigMapRef.DEFAULT_KEY)
          .description("Data key holding the Corefile."))
      .with(RECORD_OPTIONS);

  public static final List<OptionSet> SETS = List.of(RENDER, HOSTS, APPLY);

  /** A host name, exact or a wildcard, normalised (lower case, no trailing dot). */
  private static ConfigOption.Builder<String> host(String flag) {
    return ConfigOption.of(flag, "HOST", DnsRecord::normaliseHost, h -> h).repeatable();
  }
}
