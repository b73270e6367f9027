package dev.flotilla.controller.federation;

import dev.flotilla.controller.api.FederationSpec;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the address a Gateway or Ingress of this cluster publishes in its status ({@link MemberAddresses}):
 * null when the object, its status or (for a Gateway) the Gateway API is not there, or reading it is refused
 * (logged, naming the object and the permission the Role needs).
 */
public final class PublishedAddresses implements Function<FederationSpec.AddressFrom, String> {
  private static final Logger LOG = LoggerFactory.getLogger(PublishedAddresses.class);

  private final KubernetesClient client;

  public PublishedAddresses(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public String apply(FederationSpec.AddressFrom from) {
    try {
      if (FederationSpec.AddressFrom.GATEWAY.equals(from.getKind())) {
        return MemberAddresses.published(client.resources(Gateway.class).inNamespace(from.getNamespace()).withName(from.getName()).get());
      }
      return MemberAddresses.published(client.network().v1().ingresses().inNamespace(from.getNamespace()).withName(from.getName()).get());
    } catch (KubernetesClientException e) {
      LOG.warn("cannot read the address {} publishes (HTTP {}): {}; the controller needs get on it", from, e.getCode(),
          e.getMessage());
      return null;
    }
  }
}
