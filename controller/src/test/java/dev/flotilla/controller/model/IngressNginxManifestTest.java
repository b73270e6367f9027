package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * ingress-nginx/deploy.yaml publishes the address clients can reach: the controller's DNS records and
 * the pods' host aliases answer with the Ingress status, so a loopback address there sends every
 * party to itself.
 */
@DisplayName("ingress-nginx/deploy.yaml: SSL passthrough, the node's address in the Ingress status, port 443 on the node")
class IngressNginxManifestTest {

  @SuppressWarnings("unchecked")
  private static List<HasMetadata> objects() throws IOException {
    Object parsed = Serialization.unmarshal(Files.readString(Samples.repoRoot().resolve("ingress-nginx/deploy.yaml")));
    return (List<HasMetadata>) parsed;
  }

  private static Container controller() throws IOException {
    Deployment d = objects().stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  @DisplayName("the Ingress status is the node's InternalIP (--report-node-internal-ip-address); no published address is loopback or unspecified")
  void publishedAddress() throws Exception {
    List<String> args = controller().getArgs();
    assertThat(args).contains("--enable-ssl-passthrough", "--report-node-internal-ip-address");
    for (String a : args) {
      if (a.startsWith("--publish-status-address=")) {
        for (String address : a.substring(a.indexOf('=') + 1).split(",")) {
          assertThat(address).isNotEqualToIgnoringCase("localhost");
          InetAddress parsed = InetAddress.getByName(address);
          assertThat(parsed.isLoopbackAddress() || parsed.isAnyLocalAddress()).as(a).isFalse();
        }
      }
    }
  }

  @Test
  @DisplayName("HTTPS on the node's port 443 (hostPort, where the samples' <host>:443 lands) and on NodePort 30031 (iflearner's manifests)")
  void ports() throws IOException {
    assertThat(controller().getPorts()).anyMatch(p -> "https".equals(p.getName()) && p.getContainerPort() == 443
        && Integer.valueOf(443).equals(p.getHostPort()));
    Service s = objects().stream().filter(Service.class::isInstance).map(Service.class::cast)
        .filter(x -> x.getMetadata().getName().equals("ingress-nginx-controller")).findFirst().orElseThrow();
    assertThat(s.getSpec().getPorts()).anyMatch(p -> "https".equals(p.getName()) && Integer.valueOf(30031).equals(p.getNodePort()));
  }
}
