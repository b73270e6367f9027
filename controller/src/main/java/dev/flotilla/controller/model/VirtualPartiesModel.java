package dev.flotilla.controller.model;

import dev.flotilla.cli.ConfigOption;
import dev.flotilla.controller.api.Role;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code spec.virtualParties}: a study too big for one machine runs in several party pods, each hosting
 * K virtual parties. On a client job the pod's runtime gets {@code --virtual-parties K} and its certificate
 * the virtual-party host identity for K ({@link JobModel#identity()}); on a server job the aggregator gets
 * {@code --virtual-parties-per-host K}. Only Flotilla images know these flags; a template that sets the flag
 * itself keeps its own value (the certificate still declares spec.virtualParties, which the runtime checks).
 * Jobs without the field are built as before. Pure.
 */
public final class VirtualPartiesModel {

  private VirtualPartiesModel() {}

  /** K for a client job of a Flotilla image with spec.virtualParties, else null (one party, a plain identity). */
  static Integer hostedBy(JobModel job) {
    Integer k = job.spec().getVirtualParties();
    return k != null && k > 0 && job.role() == Role.CLIENT && job.usesFlotillaRuntime() ? k : null;
  }

  /** The parties a client job of party {@code name} declares to its aggregator: its virtual parties, or itself. */
  static List<String> partyNames(JobModel party, String name) {
    Integer k = hostedBy(party);
    if (k == null) {
      return List.of(name);
    }
    List<String> names = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      names.add(dev.flotilla.certs.Identity.virtualPartyName(name, i));
    }
    return names;
  }

  /** Adds the runtime flag to the first container's args (unless its args or command set it already). */
  static void addTo(JobModel job, PodSpec spec) {
    Integer k = job.spec().getVirtualParties();
    if (k == null || k < 1 || !job.usesFlotillaRuntime()) {
      return;
    }
    ConfigOption<Integer> flag = job.role() == Role.SERVER ? ServerOptions.VIRTUAL_PARTIES_PER_HOST
        : PartyOptions.VIRTUAL_PARTIES;
    Container runtime = spec.getContainers().get(0);
    List<String> args = new ArrayList<>(runtime.getArgs() == null ? List.of() : runtime.getArgs());
    List<String> argsAndCommand = Stream.concat(args.stream(),
        runtime.getCommand() == null ? Stream.empty() : runtime.getCommand().stream()).toList();
    if (!flag.isIn(argsAndCommand)) {
      args.add(flag.assignment(k));
      runtime.setArgs(args);
    }
  }
}
