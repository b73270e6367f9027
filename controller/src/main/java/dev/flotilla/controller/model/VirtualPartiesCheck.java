package dev.flotilla.controller.model;

import dev.flotilla.certs.PkiException;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.controller.api.IflearnerJobSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.protocol.options.PartyOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether the controller can build a job's virtual parties ({@link VirtualPartiesModel}) as its spec says:
 * the {@value StatusModel#VIRTUAL_PARTIES_ACCEPTED} observation. A runtime whose {@code --virtual-parties} or
 * partition flags contradict its certificate exits at start-up (code 6); the controller refuses such a job
 * before it makes anything, naming the field and both values: a template that passes one of the flags the
 * spec sets with another value, or {@code --virtual-parties} on a party whose spec hosts none. Also refused:
 * spec.virtualPartyPods without virtualParties, on a server or an image that is not Flotilla's, with
 * spec.peer or TLS terminate (N pods cannot share one peer endpoint or one certificate), more than
 * {@value IflearnerJobSpec#VIRTUAL_PARTIES_MAX} virtual parties in all, or names that are no DNS label.
 * Pure.
 */
public final class VirtualPartiesCheck {

  public static final String INVALID = "VirtualPartiesInvalid";
  public static final String ACCEPTED = "Accepted";
  /** The most of a template's value quoted in a refusal. */
  static final int MAX_QUOTED = 40;

  private VirtualPartiesCheck() {}

  /** The observation; null for a job that declares no virtual parties (spec and template alike). */
  public static Observation observe(JobModel job) {
    IflearnerJobSpec spec = job.spec();
    List<String> problems = problems(job);
    if (!problems.isEmpty()) {
      return new Observation(StatusModel.VIRTUAL_PARTIES_ACCEPTED, false, INVALID, String.join("; ", problems));
    }
    if (spec.getVirtualParties() == null && spec.getVirtualPartyPods() == null) {
      return null;
    }
    return new Observation(StatusModel.VIRTUAL_PARTIES_ACCEPTED, true, ACCEPTED, accepted(job));
  }

  static List<String> problems(JobModel job) {
    IflearnerJobSpec spec = job.spec();
    List<String> problems = new ArrayList<>();
    Integer n = spec.getVirtualPartyPods();
    Integer k = spec.getVirtualParties();
    if (n != null) {
      if (n < 1 || n > IflearnerJobSpec.VIRTUAL_PARTY_PODS_MAX) {
        problems.add("spec.virtualPartyPods must be in 1.." + IflearnerJobSpec.VIRTUAL_PARTY_PODS_MAX + ", got " + n);
      }
      if (k == null) {
        problems.add("spec.virtualPartyPods " + n + " needs spec.virtualParties (the virtual parties of each pod)");
      }
      if (job.role() != Role.CLIENT) {
        problems.add("spec.virtualPartyPods is for client jobs, not a " + job.role().wireName());
      }
      if (!job.usesFlotillaRuntime()) {
        problems.add("spec.virtualPartyPods needs a Flotilla image, not " + job.firstContainer().getImage());
      }
      if (PeerModel.enabled(job)) {
        problems.add("spec.virtualPartyPods cannot go with spec.peer: " + n + " pods cannot serve one peer endpoint");
      }
      if (job.tlsMode() == TlsMode.TERMINATE) {
        problems.add("spec.virtualPartyPods needs spec.tls.mode passthrough: each pod presents its own certificate");
      }
      if (k != null && n > 0 && k > 0 && (long) n * k > IflearnerJobSpec.VIRTUAL_PARTIES_MAX) {
        problems.add("spec.virtualPartyPods " + n + " x spec.virtualParties " + k + " = " + (long) n * k
            + " virtual parties, more than " + IflearnerJobSpec.VIRTUAL_PARTIES_MAX);
      }
    }
    if (k != null && (k < 1 || k > IflearnerJobSpec.VIRTUAL_PARTIES_MAX)) {
      problems.add("spec.virtualParties must be in 1.." + IflearnerJobSpec.VIRTUAL_PARTIES_MAX + ", got " + k);
    }
    if (!problems.isEmpty()) {
      return problems;
    }
    List<JobModel> pods = job.pods();
    if (VirtualPartiesModel.hostedBy(job) != null) {
      try {
        pods.get(pods.size() - 1).identity();
      } catch (PkiException e) {
        problems.add("spec.host: " + e.getMessage());
      }
    }
    problems.addAll(templateContradictions(job, pods));
    return problems;
  }

  /** Each flag the spec sets that the template passes with another value, once, naming both. */
  private static List<String> templateContradictions(JobModel job, List<JobModel> pods) {
    List<String> given = VirtualPartiesModel.argsAndCommand(job.firstContainer());
    List<String> problems = new ArrayList<>();
    if (job.spec().getVirtualParties() == null && job.role() == Role.CLIENT && job.usesFlotillaRuntime()) {
      // the certificate names one party: a runtime hosting virtual parties would refuse it and exit
      for (String value : values(PartyOptions.VIRTUAL_PARTIES, given)) {
        if (!"0".equals(value)) {
          problems.add("spec.template passes " + PartyOptions.VIRTUAL_PARTIES.flag() + "=" + cut(value)
              + " but spec.virtualParties is unset (one party per pod): set spec.virtualParties or remove the flag");
        }
      }
      return problems;
    }
    List<String> reported = new ArrayList<>();
    for (JobModel pod : pods) {
      for (Map.Entry<ConfigOption<Integer>, Integer> e : VirtualPartiesModel.flags(pod).entrySet()) {
        ConfigOption<Integer> flag = e.getKey();
        String wanted = flag.format(e.getValue());
        for (String value : values(flag, given)) {
          if (!value.equals(wanted) && !reported.contains(flag.flag())) {
            reported.add(flag.flag());
            problems.add("spec.template passes " + flag.flag() + "=" + cut(value) + " but " + source(job, pod, flag)
                + " gives " + flag.flag() + "=" + wanted + (pods.size() > 1 ? " to pod " + pod.podName() : "")
                + ": remove the flag from the template, the controller sets it");
          }
        }
      }
    }
    return problems;
  }

  private static String source(JobModel job, JobModel pod, ConfigOption<Integer> flag) {
    if (flag == PartyOptions.PARTITION_INDEX || flag == PartyOptions.PARTITION_COUNT) {
      return "spec.virtualPartyPods " + job.spec().getVirtualPartyPods() + " with spec.virtualParties "
          + job.spec().getVirtualParties();
    }
    return "spec.virtualParties " + job.spec().getVirtualParties();
  }

  /** The values {@code args} give {@code flag}, as {@code --flag=v} or {@code --flag v} (a flag last gives ""). */
  static List<String> values(ConfigOption<?> flag, List<String> args) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.startsWith(flag.flag() + "=")) {
        values.add(a.substring(flag.flag().length() + 1));
      } else if (a.equals(flag.flag())) {
        values.add(i + 1 < args.size() ? args.get(i + 1) : "");
      }
    }
    return values;
  }

  /** A template's value, cut: it is quoted in a condition. */
  private static String cut(String value) {
    return value.length() <= MAX_QUOTED ? value : value.substring(0, MAX_QUOTED) + "...";
  }

  private static String accepted(JobModel job) {
    Integer k = job.spec().getVirtualParties();
    if (job.role() == Role.SERVER) {
      return "the aggregator admits hosts of up to " + k + " virtual parties";
    }
    if (VirtualPartiesModel.hostedBy(job) == null) {
      return "spec.virtualParties is for Flotilla images: " + job.firstContainer().getImage() + " runs one party";
    }
    List<JobModel> pods = job.pods();
    List<String> names = VirtualPartiesModel.partyNames(job, job.identityName());
    String first = pods.get(0).podName();
    return pods.size() == 1 && pods.get(0).podIndex() == null
        ? "pod " + first + " hosts " + k + " virtual parties, " + names.get(0) + " .. " + names.get(names.size() - 1)
        : pods.size() + " pods " + first + " .. " + pods.get(pods.size() - 1).podName() + " host " + k + " virtual parties "
            + "each, " + names.size() + " in all, " + names.get(0) + " .. " + names.get(names.size() - 1);
  }
}
