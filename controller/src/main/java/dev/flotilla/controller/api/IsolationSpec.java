package dev.flotilla.controller.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * {@code spec.isolation}: a NetworkPolicy so the job's pod accepts traffic only from the ingress
 * controller (and the metrics scraper on an aggregator's metrics port) and reaches only DNS and
 * the ingress controller. On unless switched off explicitly.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IsolationSpec {

  @JsonPropertyDescription("Isolate the pod with a NetworkPolicy (default true; false removes the policy).")
  private Boolean enabled;

  @JsonPropertyDescription("Namespace of the ingress controller's pods (default: the controller's --ingress-namespace, ingress-nginx).")
  private String ingressNamespace;

  public IsolationSpec() {}

  public IsolationSpec(Boolean enabled, String ingressNamespace) {
    this.enabled = enabled;
    this.ingressNamespace = ingressNamespace;
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public String getIngressNamespace() {
    return ingressNamespace;
  }

  public void setIngressNamespace(String ingressNamespace) {
    this.ingressNamespace = ingressNamespace;
  }
}
