package dev.flotilla.controller.operator;

import dev.flotilla.cli.CommandFailure;
import dev.flotilla.cli.ExitCode;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Before a controller started with {@code --gateway} watches TLSRoutes: the API server must serve
 * {@code gateway.networking.k8s.io/v1} TLSRoutes and Gateways, else the informers would fail with
 * a 404 deep in a stack trace. Discovery is readable by every authenticated identity.
 */
public final class GatewayApiCheck {

  static final String GROUP_VERSION = "gateway.networking.k8s.io/v1";

  private GatewayApiCheck() {}

  /** Throws a {@link CommandFailure} (exit 4, like a missing IflearnerJob CRD) with one line naming what is missing and how to install it. */
  public static void requireServed(KubernetesClient client) {
    APIResourceList list = client.getApiResources(GROUP_VERSION);
    Set<String> served = list == null || list.getResources() == null ? Set.of()
        : list.getResources().stream().map(APIResource::getName).collect(Collectors.toSet());
    List<String> missing = List.of("tlsroutes", "gateways").stream().filter(r -> !served.contains(r)).toList();
    if (!missing.isEmpty()) {
      throw new CommandFailure(ExitCode.MISSING, "--gateway is set, but the API server does not serve " + missing + " in "
          + GROUP_VERSION + ": install the Gateway API standard channel CRDs, v1.5 or later (TLSRoute v1), or drop --gateway");
    }
  }
}
