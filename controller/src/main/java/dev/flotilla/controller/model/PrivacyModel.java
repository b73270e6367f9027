package dev.flotilla.controller.model;

import dev.flotilla.controller.api.PrivacyMode;
import dev.flotilla.controller.api.PrivacySpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.cli.ConfigOption;
import dev.flotilla.protocol.options.PrivacySettings;
import dev.flotilla.protocol.options.ServerOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code spec.privacy}: whether the job's budget can be kept, and the aggregator flags that keep it.
 * Only a Flotilla aggregator can (it runs DP-FedAvg and its accountant); a budget on a party, on
 * iflearner's server image, with a value out of the server's bounds or beside the same flags in the
 * template is refused ({@value StatusModel#PRIVACY_ACCEPTED} False, phase Refused, nothing made):
 * a job must not run without the privacy it asked for. The bounds repeat the server's (the CRD's
 * schema has them too, but a job may reach the controller without that schema). Pure.
 */
public final class PrivacyModel {

  public static final String ACCEPTED = "Accepted";
  public static final String PRIVACY_INVALID = "PrivacyInvalid";
  public static final double DEFAULT_DELTA = 1e-5;
  public static final double DEFAULT_SAMPLING_RATE = 1.0;
  /** The server's flags that spec.privacy sets. */
  static final List<ConfigOption<Double>> FLAGS = List.of(ServerOptions.PRIVACY_BUDGET, ServerOptions.DP_DELTA,
      ServerOptions.DP_CLIP_NORM, ServerOptions.DP_NOISE_MULTIPLIER, ServerOptions.DP_SAMPLING_RATE);

  private PrivacyModel() {}

  /** The {@value StatusModel#PRIVACY_ACCEPTED} observation, or null for a job without spec.privacy. */
  public static Observation observe(JobModel job) {
    PrivacySpec p = job.spec().getPrivacy();
    if (p == null) {
      return null;
    }
    List<String> problems = problems(job, p);
    if (!problems.isEmpty()) {
      return new Observation(StatusModel.PRIVACY_ACCEPTED, false, PRIVACY_INVALID, String.join("; ", problems));
    }
    if (!differentialPrivacy(p)) {
      return new Observation(StatusModel.PRIVACY_ACCEPTED, true, ACCEPTED,
          "SecAgg+: the aggregator sees only the masked sum of the parties' updates");
    }
    return new Observation(StatusModel.PRIVACY_ACCEPTED, true, ACCEPTED, String.format(java.util.Locale.ROOT,
        "DP-FedAvg %s: budget epsilon %s at delta %s, clip norm %s, noise multiplier %s, sampling rate %s",
        distributed(p) ? "with noise added by the parties in shares under SecAgg+" : "at the aggregator", p.getBudget(), delta(p),
        p.getClipNorm(), p.getNoiseMultiplier(), samplingRate(p)));
  }

  /** The aggregator's arguments for an accepted spec.privacy (none without one). */
  static List<String> serverArgs(PrivacySpec p) {
    if (p == null) {
      return List.of();
    }
    List<String> args = new ArrayList<>();
    if (secureAggregation(p)) {
      args.addAll(ServerOptions.SECURE_AGGREGATION.arg(true));
    }
    if (differentialPrivacy(p)) {
      args.addAll(List.of(ServerOptions.PRIVACY_BUDGET.assignment(p.getBudget()),
          ServerOptions.DP_DELTA.assignment(delta(p)), ServerOptions.DP_CLIP_NORM.assignment(p.getClipNorm()),
          ServerOptions.DP_NOISE_MULTIPLIER.assignment(p.getNoiseMultiplier()),
          ServerOptions.DP_SAMPLING_RATE.assignment(samplingRate(p))));
      if (distributed(p)) {
        args.add(ServerOptions.DP_MODE.assignment(PrivacySettings.NoiseMode.DISTRIBUTED.flagValue()));
        args.add(ServerOptions.DP_DROPOUT_TOLERANCE.assignment(dropoutTolerance(p)));
      }
    }
    return args;
  }

  private static double dropoutTolerance(PrivacySpec p) {
    return p.getDropoutTolerance() == null ? PrivacySettings.DEFAULT_DROPOUT_TOLERANCE : p.getDropoutTolerance();
  }

  private static boolean distributed(PrivacySpec p) {
    return p.getMode() == PrivacyMode.DISTRIBUTED;
  }

  private static boolean secureAggregation(PrivacySpec p) {
    return Boolean.TRUE.equals(p.getSecureAggregation());
  }

  /** Whether spec.privacy asks for DP-FedAvg: always, unless it asks for secure aggregation and sets no DP field. */
  private static boolean differentialPrivacy(PrivacySpec p) {
    return !secureAggregation(p) || p.getBudget() != null || p.getDelta() != null || p.getClipNorm() != null
        || p.getNoiseMultiplier() != null || p.getSamplingRate() != null;
  }

  private static List<String> problems(JobModel job, PrivacySpec p) {
    List<String> problems = new ArrayList<>();
    if (job.role() != Role.SERVER) {
      problems.add("spec.privacy is kept by the aggregator: set it on the job of spec.role server, not on a party");
    } else if (!job.usesFlotillaRuntime()) {
      problems.add("spec.privacy needs a Flotilla aggregator image (flotilla/server); this image cannot keep a budget");
    }
    if (secureAggregation(p) && differentialPrivacy(p) && !distributed(p)) {
      problems.add("spec.privacy.secureAggregation with a budget needs spec.privacy.mode: distributed: with mode server "
          + "the aggregator clips each update and adds the noise, and under SecAgg+ it never sees one");
    } else if (distributed(p) && !secureAggregation(p)) {
      problems.add("spec.privacy.mode: distributed needs spec.privacy.secureAggregation: true (the parties add the "
          + "noise in shares before SecAgg+ masks their updates; without it the aggregator would see each one)");
    } else if (differentialPrivacy(p)) {
      int before = problems.size();
      within(problems, "budget", p.getBudget(), true, 0, false, 100);
      within(problems, "delta", delta(p), false, 0, false, 0.1);
      within(problems, "clipNorm", p.getClipNorm(), true, 0, false, 1e6);
      within(problems, "noiseMultiplier", p.getNoiseMultiplier(), true, 0.01, true, 1000);
      within(problems, "samplingRate", samplingRate(p), false, 0, false, 1);
      if (p.getDropoutTolerance() != null && !distributed(p)) {
        problems.add("spec.privacy.dropoutTolerance sizes the parties' noise shares: it needs spec.privacy.mode: "
            + "distributed");
      } else if (p.getDropoutTolerance() != null
          && !(p.getDropoutTolerance() >= 0 && p.getDropoutTolerance() <= PrivacySettings.MAX_DROPOUT_TOLERANCE)) {
        problems.add("spec.privacy.dropoutTolerance " + p.getDropoutTolerance() + " is outside [0, "
            + PrivacySettings.MAX_DROPOUT_TOLERANCE + "]");
      }
      if (distributed(p) && problems.size() == before) {
        // the server's own rules for distributed noise (the fixed-point range at the default R)
        String refusal = new PrivacySettings(p.getBudget(), delta(p), p.getClipNorm(), p.getNoiseMultiplier(),
            samplingRate(p), PrivacySettings.NoiseMode.DISTRIBUTED, dropoutTolerance(p))
            .secureAggregationRefusal(true, ServerOptions.SECAGG_CLIP_RANGE.defaultValue());
        if (refusal != null) {
          problems.add("spec.privacy.mode distributed: " + refusal);
        }
      }
    }
    List<String> args = job.spec().getTemplate() == null || job.spec().getTemplate().getSpec() == null
        || job.spec().getTemplate().getSpec().getContainers().isEmpty()
        || job.spec().getTemplate().getSpec().getContainers().get(0).getArgs() == null ? List.of()
        : job.spec().getTemplate().getSpec().getContainers().get(0).getArgs();
    for (ConfigOption<Double> flag : FLAGS) {
      if (flag.isIn(args)) {
        problems.add("the template's args set " + flag.flag() + " and spec.privacy sets it too: keep spec.privacy only");
      }
    }
    for (ConfigOption<?> flag : List.of(ServerOptions.DP_MODE, ServerOptions.DP_DROPOUT_TOLERANCE)) {
      if (distributed(p) && flag.isIn(args)) {
        problems.add("the template's args set " + flag.flag() + " and spec.privacy sets it too: keep spec.privacy only");
      }
    }
    if (secureAggregation(p) && ServerOptions.SECURE_AGGREGATION.isIn(args)) {
      problems.add("the template's args set " + ServerOptions.SECURE_AGGREGATION.flag()
          + " and spec.privacy sets it too: keep spec.privacy only");
    }
    return problems;
  }

  /** Adds "spec.privacy.NAME ..." when {@code value} is missing (and required) or outside its range. */
  private static void within(List<String> problems, String name, Double value, boolean required, double min,
      boolean minInclusive, double max) {
    String range = (minInclusive ? "[" : "(") + min + ", " + max + "]";
    if (value == null) {
      if (required) {
        problems.add("spec.privacy." + name + " is required, in " + range);
      }
      return;
    }
    boolean above = minInclusive ? value >= min : value > min;
    if (!above || !(value <= max)) { // NaN fails both
      problems.add("spec.privacy." + name + " must be in " + range + ", got " + value);
    }
  }

  private static double delta(PrivacySpec p) {
    return p.getDelta() == null ? DEFAULT_DELTA : p.getDelta();
  }

  private static double samplingRate(PrivacySpec p) {
    return p.getSamplingRate() == null ? DEFAULT_SAMPLING_RATE : p.getSamplingRate();
  }
}
