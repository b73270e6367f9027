package dev.flotilla.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.model.PublishPolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
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
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().trim()).startsWith("flotilla controller: ").contains("ingress.example.org").doesNotContain("\n");
  }

  @Test
  @DisplayName("a missing --kubeconfig file is named in a one-line error")
  void missingKubeconfig() {
    Run r = run("--kubeconfig", "/nonexistent/kubeconfig", "--health-port", "0");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().trim()).isEqualTo("flotilla controller: --kubeconfig /nonexistent/kubeconfig: no such readable file");
  }

  @Test
  @DisplayName("--coredns-configmap must be NAMESPACE/NAME")
  void badCoreDnsRef() {
    Run r = run("--coredns-configmap", "coredns", "--kubeconfig", "/nonexistent");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("--coredns-configmap must be NAMESPACE/NAME");
  }

  @Test
  @DisplayName("by default: cluster.local reserved, any federation domain, spec.dns.ingressAddress honoured nowhere")
  void defaultPublishPolicy() {
    ControllerMain main = new ControllerMain();
    new CommandLine(main).parseArgs();
    PublishPolicy p = main.buildConfig().publish();
    assertThat(p.hosts().clusterDomains()).containsExactly("cluster.local");
    assertThat(p.hosts().allowedDomains()).isEmpty();
    assertThat(p.honoursIngressAddress("default")).isFalse();
  }

  @Test
  @DisplayName("--cluster-domain, --allowed-domain and the two override flags make the publish policy")
  void publishPolicyFlags() {
    ControllerMain main = new ControllerMain();
    new CommandLine(main).parseArgs("--cluster-domain", "corp.internal", "--allowed-domain", "fl.example.org",
        "--allowed-domain", "Partners.Example.NET", "--ingress-address-override-namespace", "edge");
    PublishPolicy p = main.buildConfig().publish();
    assertThat(p.hosts().clusterDomains()).containsExactly("cluster.local", "corp.internal");
    assertThat(p.hosts().allowedDomains()).containsExactly("fl.example.org", "partners.example.net");
    assertThat(p.honoursIngressAddress("edge")).isTrue();
    assertThat(p.honoursIngressAddress("team")).isFalse();
    ControllerMain everywhere = new ControllerMain();
    new CommandLine(everywhere).parseArgs("--allow-ingress-address-override");
    assertThat(everywhere.buildConfig().publish().honoursIngressAddress("team")).isTrue();
  }

  @Test
  @DisplayName("an --allowed-domain under the cluster domain is refused before connecting, in one line naming it")
  void reservedAllowedDomain() {
    Run r = run("--allowed-domain", "svc.cluster.local", "--kubeconfig", "/nonexistent");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().trim()).startsWith("flotilla controller: ").contains("svc.cluster.local", "cluster domain").doesNotContain("\n");
  }
}
