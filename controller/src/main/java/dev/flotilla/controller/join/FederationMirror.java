package dev.flotilla.controller.join;

import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.enroll.EnrollmentClient;
import dev.flotilla.controller.api.Federation;
import dev.flotilla.controller.api.FederationSpec;
import dev.flotilla.controller.operator.ApplyOutcome;
import dev.flotilla.controller.operator.ChildApplier;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.function.Function;

/**
 * Brings the coordinator's list of a federation's members into the party organisation's cluster: asks the
 * enrollment endpoint for it over mutual TLS with the enrolled identity, and applies it as the Federation
 * {@code <domain>} beside the join Secret, where this cluster's {@code FederationController} turns it into
 * DNS records and a trust bundle. The coordinator's Federation is the one place an address is changed.
 */
public final class FederationMirror {
  private final ChildApplier applier;
  private final Function<JoinModel.Join, EnrollmentClient> clients;

  public FederationMirror(ChildApplier applier, Function<JoinModel.Join, EnrollmentClient> clients) {
    this.applier = applier;
    this.clients = clients;
  }

  /** Fetches and applies; UNCHANGED when the local copy already says the same. */
  public ApplyOutcome refresh(JoinModel.Join join, IssuedCertificate identity) {
    FederationSpec spec = Serialization.unmarshal(clients.apply(join).federation(identity), FederationSpec.class);
    if (spec == null || !join.domain().equals(spec.getDomain())) {
      throw new IllegalStateException("the coordinator answered the members of " + (spec == null ? "nothing" : spec.getDomain())
          + ", not of " + join.domain());
    }
    return applier.apply(local(join, spec));
  }

  /** The local copy: the Federation named after the domain, in the join Secret's namespace. Pure. */
  static Federation local(JoinModel.Join join, FederationSpec spec) {
    Federation federation = new Federation();
    federation.setMetadata(new ObjectMetaBuilder().withName(join.domain()).withNamespace(join.namespace())
        .addToLabels("app.kubernetes.io/managed-by", "flotilla-controller")
        .addToAnnotations("flotilla.dev/mirrored-from", join.endpoint().toString()).build());
    federation.setSpec(spec);
    return federation;
  }
}
