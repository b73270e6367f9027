package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import dev.flotilla.controller.api.PrivacySpec;
import dev.flotilla.controller.model.StatusModel.Observation;
import dev.flotilla.protocol.status.JobSummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("spec.privacy: the aggregator's --privacy-budget and --dp-* flags, refusals with what is wrong, epsilon in status")
class PrivacyModelTest {

  private static IflearnerJob server(PrivacySpec privacy) {
    IflearnerJob job = Samples.load("flotilla-fashion-mnist/server.yaml", "fl");
    job.getSpec().setPrivacy(privacy);
    return job;
  }

  private static List<String> args(IflearnerJob job) {
    return PodModel.desired(new JobModel(job)).getSpec().getContainers().get(0).getArgs();
  }

  @Nested
  @DisplayName("when spec.privacy is valid")
  class Valid {

    @Test
    @DisplayName("the aggregator gets the five flags, delta and sampling rate defaulting to 1e-5 and 1, after the "
        + "template's own args; PrivacyAccepted is True and says what runs")
    void flags() {
      IflearnerJob job = server(new PrivacySpec(4.0, null, 0.5, 1.1));
      List<String> before = new ArrayList<>(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());

      List<String> args = args(job);

      assertThat(args.subList(0, before.size())).isEqualTo(before);
      assertThat(args).containsSubsequence("--privacy-budget=4.0", "--dp-delta=1.0E-5", "--dp-clip-norm=0.5",
          "--dp-noise-multiplier=1.1", "--dp-sampling-rate=1.0");
      Observation o = PrivacyModel.observe(new JobModel(job));
      assertThat(o).isEqualTo(new Observation(StatusModel.PRIVACY_ACCEPTED, true, PrivacyModel.ACCEPTED,
          "DP-FedAvg at the aggregator: budget epsilon 4.0 at delta 1.0E-5, clip norm 0.5, noise multiplier 1.1, "
              + "sampling rate 1.0"));
    }

    @Test
    @DisplayName("given delta and sampling rate are passed as given; a job without spec.privacy gets no --dp flag "
        + "and no PrivacyAccepted condition")
    void givenAndAbsent() {
      PrivacySpec p = new PrivacySpec(8.0, 1e-6, 1.0, 0.8);
      p.setSamplingRate(0.25);
      assertThat(args(server(p))).contains("--dp-delta=1.0E-6", "--dp-sampling-rate=0.25");

      IflearnerJob plain = server(null);
      assertThat(args(plain)).noneMatch(a -> a.startsWith("--dp-") || a.startsWith("--privacy-budget"));
      assertThat(PrivacyModel.observe(new JobModel(plain))).isNull();
    }
  }

  @Nested
  @DisplayName("with spec.privacy.secureAggregation")
  class SecureAggregation {

    private PrivacySpec secure() {
      PrivacySpec p = new PrivacySpec();
      p.setSecureAggregation(true);
      return p;
    }

    @Test
    @DisplayName("alone, the aggregator gets --secure-aggregation and no DP flag; PrivacyAccepted says what runs")
    void alone() {
      IflearnerJob job = server(secure());
      assertThat(args(job)).containsOnlyOnce("--secure-aggregation")
          .noneMatch(a -> a.startsWith("--dp-") || a.startsWith("--privacy-budget"));
      assertThat(PrivacyModel.observe(new JobModel(job))).isEqualTo(new Observation(StatusModel.PRIVACY_ACCEPTED, true,
          PrivacyModel.ACCEPTED, "SecAgg+: the aggregator sees only the masked sum of the parties' updates"));
      PrivacySpec off = new PrivacySpec(4.0, null, 0.5, 1.1);
      off.setSecureAggregation(false);
      assertThat(args(server(off))).doesNotContain("--secure-aggregation").contains("--privacy-budget=4.0");
    }

    @Test
    @DisplayName("with a budget and mode distributed, the aggregator gets --secure-aggregation, the five DP flags and "
        + "--dp-mode=distributed; PrivacyAccepted says the parties add the noise")
    void distributed() {
      PrivacySpec p = new PrivacySpec(4.0, null, 0.5, 1.1);
      p.setSecureAggregation(true);
      p.setMode(dev.flotilla.controller.api.PrivacyMode.DISTRIBUTED);
      IflearnerJob job = server(p);
      assertThat(args(job)).containsOnlyOnce("--secure-aggregation", "--dp-mode=distributed")
          .contains("--privacy-budget=4.0", "--dp-delta=1.0E-5", "--dp-clip-norm=0.5", "--dp-noise-multiplier=1.1",
              "--dp-sampling-rate=1.0", "--dp-dropout-tolerance=0.1");
      p.setDropoutTolerance(0.3);
      assertThat(args(job)).containsOnlyOnce("--dp-dropout-tolerance=0.3");
      Observation o = PrivacyModel.observe(new JobModel(job));
      assertThat(o.ready()).isTrue();
      assertThat(o.message()).startsWith("DP-FedAvg with noise added by the parties in shares under SecAgg+: budget "
          + "epsilon 4.0");
    }

    @Test
    @DisplayName("a budget with mode server (or none), mode distributed without secure aggregation or with sampling, "
        + "or beside the same flag in the template, is refused with the reason")
    void refusals() {
      PrivacySpec both = secure();
      both.setBudget(4.0);
      both.setClipNorm(1.0);
      both.setNoiseMultiplier(1.0);
      Observation o = PrivacyModel.observe(new JobModel(server(both)));
      assertThat(o.ready()).isFalse();
      assertThat(o.message()).startsWith("spec.privacy.secureAggregation with a budget needs spec.privacy.mode: "
          + "distributed");

      PrivacySpec alone = new PrivacySpec(4.0, null, 1.0, 1.0);
      alone.setMode(dev.flotilla.controller.api.PrivacyMode.DISTRIBUTED);
      assertThat(PrivacyModel.observe(new JobModel(server(alone))).message())
          .startsWith("spec.privacy.mode: distributed needs spec.privacy.secureAggregation: true");

      both.setMode(dev.flotilla.controller.api.PrivacyMode.DISTRIBUTED);
      both.setDropoutTolerance(0.95);
      assertThat(PrivacyModel.observe(new JobModel(server(both))).message())
          .isEqualTo("spec.privacy.dropoutTolerance 0.95 is outside [0, 0.9]");
      PrivacySpec central = new PrivacySpec(4.0, null, 1.0, 1.0);
      central.setDropoutTolerance(0.2);
      assertThat(PrivacyModel.observe(new JobModel(server(central))).message())
          .startsWith("spec.privacy.dropoutTolerance sizes the parties' noise shares: it needs spec.privacy.mode: "
              + "distributed");

      IflearnerJob job = server(secure());
      var c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
      List<String> args = new ArrayList<>(c.getArgs());
      args.add("--secure-aggregation");
      c.setArgs(args);
      assertThat(PrivacyModel.observe(new JobModel(job)).message())
          .isEqualTo("the template's args set --secure-aggregation and spec.privacy sets it too: keep spec.privacy only");
    }
  }

  @Nested
  @DisplayName("when spec.privacy cannot be kept")
  class Refused {

    private Observation observe(IflearnerJob job) {
      return PrivacyModel.observe(new JobModel(job));
    }

    @Test
    @DisplayName("missing and out-of-range values are named with their range, all at once")
    void outOfRange() {
      PrivacySpec p = new PrivacySpec(0.0, 0.5, null, 5000.0);
      p.setSamplingRate(Double.NaN);

      Observation o = observe(server(p));

      assertThat(o.ready()).isFalse();
      assertThat(o.type()).isEqualTo(StatusModel.PRIVACY_ACCEPTED);
      assertThat(o.reason()).isEqualTo(PrivacyModel.PRIVACY_INVALID);
      assertThat(o.message()).isEqualTo("spec.privacy.budget must be in (0.0, 100.0], got 0.0; "
          + "spec.privacy.delta must be in (0.0, 0.1], got 0.5; "
          + "spec.privacy.clipNorm is required, in (0.0, 1000000.0]; "
          + "spec.privacy.noiseMultiplier must be in [0.01, 1000.0], got 5000.0; "
          + "spec.privacy.samplingRate must be in (0.0, 1.0], got NaN");
    }

    @Test
    @DisplayName("a budget on a party, or on iflearner's server image, is refused: nobody there could keep it")
    void wrongJob() {
      IflearnerJob party = Samples.load("flotilla-fashion-mnist/party-a.yaml", "fl");
      party.getSpec().setPrivacy(new PrivacySpec(4.0, null, 1.0, 1.0));
      assertThat(observe(party).message())
          .isEqualTo("spec.privacy is kept by the aggregator: set it on the job of spec.role server, not on a party");

      IflearnerJob iflearner = Samples.load("iflearner/iflearnerjob-server.yaml", "fl");
      iflearner.getSpec().setPrivacy(new PrivacySpec(4.0, null, 1.0, 1.0));
      assertThat(observe(iflearner).message()).startsWith("spec.privacy needs a Flotilla aggregator image");
    }

    @Test
    @DisplayName("the same flag in the template's args is refused rather than silently overridden")
    void flagInTemplate() {
      IflearnerJob job = server(new PrivacySpec(4.0, null, 1.0, 1.0));
      var c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
      List<String> args = new ArrayList<>(c.getArgs());
      args.add("--dp-clip-norm=9");
      c.setArgs(args);

      assertThat(observe(job).message())
          .isEqualTo("the template's args set --dp-clip-norm and spec.privacy sets it too: keep spec.privacy only");
    }

    @Test
    @DisplayName("a refused privacy spec makes the phase Refused, like a refused host")
    void phase() {
      JobModel job = new JobModel(server(new PrivacySpec(-1.0, null, 1.0, 1.0)));
      IflearnerJobStatus status = StatusModel.build(job, null, List.of(PrivacyModel.observe(job)), null, false,
          Instant.EPOCH);
      assertThat(status.getPhase()).isEqualTo(StatusModel.PHASE_REFUSED);
    }
  }

  @Test
  @DisplayName("the aggregator's summary puts epsilon spent and the end reason into the job's status")
  void epsilonInStatus() {
    JobModel job = new JobModel(server(new PrivacySpec(4.0, null, 1.0, 1.0)));
    JobSummary live = new JobSummary("fl", 2, 10, true, 2, 2, 0.5, 1.0, null, 1_000L, 2_000L, 3.5,
        "privacy budget exhausted: round 3 would take epsilon to 4.1, beyond --privacy-budget 4.0");

    IflearnerJobStatus status = StatusModel.build(job, null, List.of(), null, live, false, Instant.EPOCH);

    assertThat(status.getEpsilonSpent()).isEqualTo(3.5);
    assertThat(status.getEndReason()).startsWith("privacy budget exhausted: round 3");
  }
}
