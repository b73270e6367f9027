package dev.flotilla.controller.federation;

import dev.flotilla.certs.Pem;
import dev.flotilla.controller.api.FederationSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The coordinator member's trust bundle as the enrollment endpoint serves the members: it always holds the CA
 * that signs the enrollments (the one the coordinator's aggregators present), so the person who writes the
 * Federation copies no certificate out of the coordinator's cluster, and a rotated CA reaches the party clusters
 * at their next refresh. A bundle the person did give is kept, the CA added once after it (unless that
 * would pass the CRD's bound). Pure.
 */
public final class CoordinatorTrust {
  /** The Federation CRD's bound on a member's bundle: a served bundle the party clusters' API servers would refuse is not made. */
  static final int MAX_TRUST_BUNDLE = 65536;

  private CoordinatorTrust() {}

  /**
   * A copy of {@code spec} whose coordinator member's bundle includes {@code signingCa}. A bundle that is no PEM is
   * left as it is: the party clusters refuse it naming the member ({@link FederationRoutesModel#trust}), as they would
   * the person's own.
   */
  public static FederationSpec withSigningCa(FederationSpec spec, X509Certificate signingCa) {
    FederationSpec copy = Serialization.clone(spec);
    for (FederationSpec.Member m : copy.getMembers()) {
      if (!FederationRoutesModel.COORDINATOR.equals(m.getRole())) {
        continue;
      }
      String given = m.getTrustBundle();
      if (given == null || given.isBlank()) {
        m.setTrustBundle(Pem.encode(signingCa));
        continue;
      }
      List<X509Certificate> cas;
      try {
        cas = Pem.parseCertificates(given, "the trust bundle of member " + m.getName());
      } catch (RuntimeException e) {
        continue;
      }
      String added = given.strip() + "\n" + Pem.encode(signingCa);
      if (!cas.contains(signingCa) && added.length() <= MAX_TRUST_BUNDLE) {
        m.setTrustBundle(added);
      }
    }
    return copy;
  }
}
