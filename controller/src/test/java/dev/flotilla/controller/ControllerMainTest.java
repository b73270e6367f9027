package dev.flotilla.controller;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.flotilla.controller.operator.ControllerConfig;
import dev.flotilla.controller.operator.WatchScope;
import dev.flotilla.controller.model.PublishPolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ControllerMainTest {

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = ControllerMain.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  @DisplayName("--help exits 0 and documents --kubeconfig, --namespace and --ingress-address")
  void help() {
    Run r = run("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("--kubeconfig=FILE", "--namespace=NS", "--ingress-address=IP", "--[no-]leader-election",
        "--health-port", "--cluster-domain=DOMAIN", "--allowed-domain=DOMAIN", "--allow-ingress-address-override",
        "--ingress-address-override-namespace=NS");
  }

  @Test
  @DisplayName("an unknown option gives a one-line error naming it and exit code 2")
  void unknownOption() {
    Run r = run("--banana");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("flotilla controller: ").contains("--banana");
  }

  @Test
  @DisplayName("an --ingress-address that is not an IP literal is refused before connecting")
  void badIngressAddress() {
    Run r = run("--ingress-address", "ingress.example.org", "--kubeconfig", "/nonexistent");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().trim()).startsWith("flotilla controller: ").contains("ingress.example.org").doesNotContain("\n");
  }

  @Test
  @DisplayName("a missing --kubeconfig file is named in a one-line error, exit 4 (missing)")
  void missingKubeconfig() {
    Run r = run("--kubeconfig", "/nonexistent/kubeconfig", "--health-port", "0");
    assertThat(r.exit()).isEqualTo(4);
    assertThat(r.err().trim()).isEqualTo("flotilla controller: --kubeconfig /nonexistent/kubeconfig: no such file");
  }

  @Test
  @DisplayName("--coredns-configmap must be NAMESPACE/NAME")
  void badCoreDnsRef() {
    Run r = run("--coredns-configmap", "coredns", "--kubeconfig", "/nonexistent");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("--coredns-configmap must be NAMESPACE/NAME");
  }

  private static ControllerConfig config(String... args) {
    return ControllerMain.configOf("kubeconfig-ns", args);
  }

  @Test
  @DisplayName("--pod-host-aliases is off by default, on with the flag, off again with --no-pod-host-aliases (what config/default passes)")
  void podHostAliases() {
    assertThat(config("--controller-namespace", "x").podHostAliases()).isFalse();
    assertThat(config("--controller-namespace", "x", "--pod-host-aliases").podHostAliases()).isTrue();
    assertThat(config("--controller-namespace", "x", "--no-pod-host-aliases").podHostAliases()).isFalse();
  }

  @Test
  @DisplayName("only --federation-member makes the controller read Federations (host aliases or not); without it it needs no Role on them")
  void followFederations() {
    assertThat(config("--controller-namespace", "x").followFederations()).isFalse();
    assertThat(config("--controller-namespace", "x", "--pod-host-aliases").followFederations()).isFalse();
    assertThat(config("--controller-namespace", "x", "--federation-member", "hospital-b").followFederations()).isTrue();
    assertThat(config("--controller-namespace", "x", "--federation-member", "coordinator", "--pod-host-aliases")
        .followFederations()).isTrue();
  }

  @Test
  @DisplayName("without --namespace the controller watches its own namespace, where the CA Secrets live")
  void ownNamespaceByDefault() {
    ControllerConfig c = config("--controller-namespace", "flotilla-system");
    assertThat(c.controllerNamespace()).isEqualTo("flotilla-system");
    assertThat(c.scope()).isEqualTo(WatchScope.of("flotilla-system"));
    Assumptions.assumeTrue(System.getenv("POD_NAMESPACE") == null, "POD_NAMESPACE is set in this environment");
    ControllerConfig fromKubeconfig = config();
    assertThat(fromKubeconfig.controllerNamespace()).isEqualTo("kubeconfig-ns");
    assertThat(fromKubeconfig.scope().namespaces()).containsExactly("kubeconfig-ns");
  }

  @Test
  @DisplayName("--namespace is repeatable and comma-separated; --all-namespaces watches every namespace; the two exclude each other")
  void watchScope() {
    assertThat(config("--controller-namespace=ctl", "--namespace", "a,b", "--namespace", "c").scope())
        .isEqualTo(new WatchScope(false, List.of("a", "b", "c")));
    ControllerConfig all = config("--controller-namespace=ctl", "--all-namespaces");
    assertThat(all.scope().allNamespaces()).isTrue();
    assertThat(all.scope().watches("anything")).isTrue();
    assertThatThrownBy(() -> config("--controller-namespace=ctl", "--all-namespaces", "--namespace=a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--all-namespaces and --namespace exclude each other");
    assertThatThrownBy(() -> config("--controller-namespace=ctl", "--namespace=Team_A"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Team_A' is not a namespace name");
    assertThatThrownBy(() -> config("--controller-namespace=ctl", "--namespace=a,a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listed twice");
  }

  @Test
  @DisplayName("isolation defaults: ingress-nginx and the monitoring namespace's pods; --ingress-namespace and the scraper labels change them")
  void isolationOptions() {
    ControllerConfig d = config("--controller-namespace=ctl");
    assertThat(d.isolation().ingressNamespace()).isEqualTo("ingress-nginx");
    assertThat(d.isolation().scraperNamespaceLabels()).containsExactly(entry("kubernetes.io/metadata.name", "monitoring"));
    assertThat(d.isolation().scraperPodLabels()).isEmpty();
    ControllerConfig c = config("--controller-namespace=ctl", "--ingress-namespace=edge",
        "--metrics-scraper-namespace-label", "team=obs", "--metrics-scraper-pod-label", "app=prometheus");
    assertThat(c.isolation().ingressNamespace()).isEqualTo("edge");
    assertThat(c.isolation().scraperNamespaceLabels()).isEqualTo(Map.of("team", "obs"));
    assertThat(c.isolation().scraperPodLabels()).isEqualTo(Map.of("app", "prometheus"));
  }

  @Test
  @DisplayName("--help documents the scope, the controller's namespace and the isolation options")
  void helpNamesNewOptions() {
    Run r = run("--help");
    assertThat(r.out()).contains("--all-namespaces", "--controller-namespace=NS", "--ingress-namespace=NS",
        "--metrics-scraper-namespace-label=KEY=VALUE", "--metrics-scraper-pod-label=KEY=VALUE");
  }

  @Test
  @DisplayName("by default: cluster.local reserved, any federation domain, spec.dns.ingressAddress honoured nowhere")
  void defaultPublishPolicy() {
    PublishPolicy p = config("--controller-namespace=ctl").publish();
    assertThat(p.hosts().clusterDomains()).containsExactly("cluster.local");
    assertThat(p.hosts().allowedDomains()).isEmpty();
    assertThat(p.honoursIngressAddress("default")).isFalse();
  }

  @Test
  @DisplayName("--cluster-domain, --allowed-domain and the two override flags make the publish policy")
  void publishPolicyFlags() {
    PublishPolicy p = config("--controller-namespace=ctl", "--cluster-domain", "corp.internal",
        "--allowed-domain", "fl.example.org", "--allowed-domain", "Partners.Example.NET",
        "--ingress-address-override-namespace", "edge").publish();
    assertThat(p.hosts().clusterDomains()).containsExactly("cluster.local", "corp.internal");
    assertThat(p.hosts().allowedDomains()).containsExactly("fl.example.org", "partners.example.net");
    assertThat(p.honoursIngressAddress("edge")).isTrue();
    assertThat(p.honoursIngressAddress("team")).isFalse();
    assertThat(config("--controller-namespace=ctl", "--allow-ingress-address-override").publish()
        .honoursIngressAddress("team")).isTrue();
  }

  @Test
  @DisplayName("an --allowed-domain under the cluster domain is refused before connecting, in one line naming it")
  void reservedAllowedDomain() {
    Run r = run("--allowed-domain", "svc.cluster.local", "--kubeconfig", "/nonexistent");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().trim()).startsWith("flotilla controller: ").contains("svc.cluster.local", "cluster domain").doesNotContain("\n");
  }

  @Test
  @DisplayName("without --gateway no Gateway is configured; --gateway NS/NAME with the default listener tls-passthrough, proxies in its namespace")
  void gatewayFlags() {
    assertThat(config("--controller-namespace=ctl").gateway()).isNull();
    var g = config("--controller-namespace=ctl", "--gateway", "gateway-system/shared").gateway();
    assertThat(g.ref()).isEqualTo("gateway-system/shared");
    assertThat(g.listener()).isEqualTo("tls-passthrough");
    assertThat(g.proxyNamespace()).isEqualTo("gateway-system");
    assertThat(g.proxyPodLabels()).isEmpty();
    var custom = config("--controller-namespace=ctl", "--gateway=gs/shared", "--gateway-listener=fl",
        "--gateway-proxy-namespace=envoy-gateway-system", "--gateway-proxy-pod-label=gateway.envoyproxy.io/owning-gateway-name=shared")
        .gateway();
    assertThat(custom.listener()).isEqualTo("fl");
    assertThat(custom.proxyNamespace()).isEqualTo("envoy-gateway-system");
    assertThat(custom.proxyPodLabels()).containsExactly(entry("gateway.envoyproxy.io/owning-gateway-name", "shared"));
  }

  @Test
  @DisplayName("a malformed --gateway, or a gateway option without --gateway, is refused before connecting in one line naming it")
  void gatewayFlagsRefused() {
    Run bad = run("--gateway", "shared", "--kubeconfig", "/nonexistent");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err().trim()).startsWith("flotilla controller: ").contains("--gateway must be NAMESPACE/NAME", "'shared'")
        .doesNotContain("\n");
    Run orphan = run("--gateway-listener", "fl", "--kubeconfig", "/nonexistent");
    assertThat(orphan.exit()).isEqualTo(2);
    assertThat(orphan.err().trim()).contains("need --gateway NAMESPACE/NAME").doesNotContain("\n");
    assertThat(run("--help").out()).contains("--gateway=NS/NAME", "--gateway-listener=NAME", "--gateway-proxy-namespace=NS",
        "--gateway-proxy-pod-label=KEY=VALUE");
  }

  @Test
  @DisplayName("--resync takes 10m, 30s, 1h and ISO-8601 alike (default 10m); a bad or zero value is a one-line usage error, exit 2")
  void resyncDurations() {
    assertThat(ControllerMain.configOf("ns").resync()).isEqualTo(java.time.Duration.ofMinutes(10));
    assertThat(ControllerMain.configOf("ns", "--resync", "10m").resync()).isEqualTo(java.time.Duration.ofMinutes(10));
    assertThat(ControllerMain.configOf("ns", "--resync", "30s").resync()).isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(ControllerMain.configOf("ns", "--resync", "1h").resync()).isEqualTo(java.time.Duration.ofHours(1));
    assertThat(ControllerMain.configOf("ns", "--resync", "PT10M").resync()).isEqualTo(java.time.Duration.ofMinutes(10));
    for (String bad : List.of("soon", "0s")) {
      Run r = run("--resync", bad, "--kubeconfig", "/nonexistent");
      assertThat(r.exit()).isEqualTo(2);
      assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("flotilla controller: ").contains("--resync")
          .contains(bad);
    }
  }
}
