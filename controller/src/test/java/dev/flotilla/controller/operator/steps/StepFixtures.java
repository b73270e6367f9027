package dev.flotilla.controller.operator.steps;

import dev.flotilla.controller.model.JobModel;
import dev.flotilla.controller.model.PublishPolicy;
import dev.flotilla.controller.model.Samples;

/** The shipped samples as jobs of one namespace, and a fresh context for one of them. */
final class StepFixtures {

  static final String NAMESPACE = "team";

  private StepFixtures() {}

  static JobModel model(String sample) {
    return new JobModel(Samples.load(sample, NAMESPACE));
  }

  /** A context with the default publish policy and no controller --ingress-address. */
  static JobContext context(JobModel job) {
    return new JobContext(job, PublishPolicy.defaults(), null);
  }

  /** A context whose controller names the ingress address. */
  static JobContext context(JobModel job, String ingressAddress) {
    return new JobContext(job, PublishPolicy.defaults(), ingressAddress);
  }
}
