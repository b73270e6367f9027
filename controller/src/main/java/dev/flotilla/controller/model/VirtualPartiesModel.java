package dev.flotilla.controller.model;

import dev.flotilla.certs.Identity;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.controller.api.Role;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code spec.virtualParties}: a study too big for one machine runs in several party pods, each hosting
 * K virtual parties. On a client job the pod's runtime gets {@code --virtual-parties K} and its certificate
 * the virtual-party host identity for K ({@link JobModel#identity()}); on a server job the aggregator gets
 * {@code --virtual-parties-per-host K}. With {@code spec.virtualPartyPods} N a client job makes N such pods
 * ({@link JobModel#pods()}): pod i is the host {@code <party>-p<i>} and trains the study's parts i*K .. i*K+K-1
 * of N*K. Only Flotilla images know these flags. The flags the controller sets are the spec's: a template
 * that sets one to another value is refused ({@link VirtualPartiesCheck}). Jobs without the fields are built
 * as before. Pure.
 */
public final class VirtualPartiesModel {

  /** Party pod i of a job is {@code <job>-p<i>}, and hosts {@code <party>-p<i>-v0 ..}. */
  public static final String POD_SUFFIX = "-p";

  private VirtualPartiesModel() {}

  /** K for a client job of a Flotilla image with spec.virtualParties, else null (one party, a plain identity). */
  static Integer hostedBy(JobModel job) {
    Integer k = job.spec().getVirtualParties();
    return k != null && k > 0 && job.role() == Role.CLIENT && job.usesFlotillaRuntime() ? k : null;
  }

  /** N for a client job hosting virtual parties with spec.virtualPartyPods, else null (the job's one pod, as before). */
  static Integer podCount(JobModel job) {
    Integer n = job.spec().getVirtualPartyPods();
    return n != null && n > 0 && hostedBy(job) != null ? n : null;
  }

  /** The host name of party pod {@code podIndex} of party {@code party}: {@code <party>-p<i>}, or the party itself (null). */
  static String hostName(String party, Integer podIndex) {
    return podIndex == null ? party : party + POD_SUFFIX + podIndex;
  }

  /** The parties a client job of party {@code name} declares to its aggregator: the virtual parties of its pods, or itself. */
  static List<String> partyNames(JobModel party, String name) {
    Integer k = hostedBy(party);
    if (k == null) {
      return List.of(name);
    }
    List<String> names = new ArrayList<>();
    for (JobModel pod : party.pods()) {
      for (int i = 0; i < k; i++) {
        names.add(Identity.virtualPartyName(hostName(name, pod.podIndex()), i));
      }
    }
    return names;
  }

  /**
   * The runtime flags this job's pod gets, in order: {@code --virtual-parties K} (client) or
   * {@code --virtual-parties-per-host K} (server), and for party pod i of N {@code --partition-index i*K}
   * and {@code --partition-count N*K}. Empty for jobs without spec.virtualParties and for other images.
   */
  static Map<ConfigOption<Integer>, Integer> flags(JobModel job) {
    Integer k = job.spec().getVirtualParties();
    Map<ConfigOption<Integer>, Integer> flags = new LinkedHashMap<>();
    if (k == null || k < 1 || !job.usesFlotillaRuntime()) {
      return flags;
    }
    flags.put(job.role() == Role.SERVER ? ServerOptions.VIRTUAL_PARTIES_PER_HOST : PartyOptions.VIRTUAL_PARTIES, k);
    Integer n = podCount(job);
    if (n != null && job.podIndex() != null) {
      flags.put(PartyOptions.PARTITION_INDEX, job.podIndex() * k);
      flags.put(PartyOptions.PARTITION_COUNT, n * k);
    }
    return flags;
  }

  /**
   * Adds the runtime flags to the first container's args. One the template gives already is left as it is:
   * {@link VirtualPartiesCheck} has refused the job unless it is the same value.
   */
  static void addTo(JobModel job, PodSpec spec) {
    Map<ConfigOption<Integer>, Integer> flags = flags(job);
    if (flags.isEmpty()) {
      return;
    }
    Container runtime = spec.getContainers().get(0);
    List<String> args = new ArrayList<>(runtime.getArgs() == null ? List.of() : runtime.getArgs());
    List<String> argsAndCommand = argsAndCommand(runtime);
    flags.forEach((flag, value) -> {
      if (!flag.isIn(argsAndCommand)) {
        args.add(flag.assignment(value));
      }
    });
    if (args.size() > (runtime.getArgs() == null ? 0 : runtime.getArgs().size())) {
      runtime.setArgs(args);
    }
  }

  /**
   * Of {@code owned} (names of Secrets the job owns), the pod certificate Secrets it no longer has: {@code <job>-p<i>-tls}
   * beyond spec.virtualPartyPods or once the field is gone, and {@code <job>-tls} while it is set. {@code wanted} are
   * the Secrets its pods mount now. Sorted.
   */
  public static List<String> staleTlsSecrets(JobModel job, Collection<String> owned, Collection<String> wanted) {
    String prefix = job.name() + POD_SUFFIX;
    return owned.stream()
        .filter(name -> !wanted.contains(name))
        .filter(name -> name.equals(job.name() + "-tls") || name.startsWith(prefix) && name.endsWith("-tls")
            && name.substring(prefix.length(), name.length() - "-tls".length()).matches("(0|[1-9][0-9]{0,2})"))
        .sorted()
        .toList();
  }

  /** The first container's args and command: where a template may pass a flag itself. */
  static List<String> argsAndCommand(Container runtime) {
    return Stream.concat(runtime.getArgs() == null ? Stream.empty() : runtime.getArgs().stream(),
        runtime.getCommand() == null ? Stream.empty() : runtime.getCommand().stream()).toList();
  }
}
