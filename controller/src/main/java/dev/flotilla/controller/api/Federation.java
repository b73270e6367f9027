package dev.flotilla.controller.api;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The members of one federation (a trust domain) across organisations and clusters: who coordinates,
 * who takes part, where each one's ingress answers and which CA each one's certificates chain to.
 * Kept by the coordinator in its controller's namespace; each member's controller turns it into its own
 * cluster's DNS records and trust bundle ({@code dev.flotilla.controller.federation}). Flotilla's own API
 * group, beside the iflearner-compatible IflearnerJob; additive.
 */
@Group(Federation.GROUP)
@Version(Federation.VERSION)
@Kind(Federation.KIND)
@Plural("federations")
@Singular("federation")
public class Federation extends CustomResource<FederationSpec, Void> implements Namespaced {

  private static final long serialVersionUID = 1L;

  public static final String GROUP = "flotilla.dev";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "Federation";
  public static final String API_VERSION = GROUP + "/" + VERSION;
}
