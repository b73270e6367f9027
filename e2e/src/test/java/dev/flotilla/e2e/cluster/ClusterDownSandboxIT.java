package dev.flotilla.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.ProcessRun;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster.sh down} on a node that kube-proxy and the kubelet left as they leave it, in a
 * sandbox of its own (network, mount and pid namespaces, an empty tmpfs over /run, its own state
 * directory): the real cluster, which other test JVMs may be using, is neither seen nor touched.
 */
@RequiresRealServers(RealServer.CONTAINERD)
@DisplayName("cluster.sh down, in a sandbox of its own namespaces")
class ClusterDownSandboxIT {

  private static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).getParent();

  @Test
  @DisplayName("down does not leave route_localnet on once it removed the kubelet's rule that guards it (CVE-2020-8558)")
  void downTurnsRouteLocalnetOffWithTheRuleThatGuardsIt(@TempDir Path state) throws Exception {
    // kube-proxy (iptables mode) sets route_localnet=1; the kubelet's KUBE-FIREWALL rule keeps other hosts
    // from reaching 127.0.0.0/8 through it. down removes the KUBE-* chains, so it must turn route_localnet off too.
    String sandbox = String.join("\n",
        "set -eu",
        // all of /run: down unlinks /run/netns/cni-*, and unlinking a mount point detaches it in every mount
        // namespace, so the real pods' network namespace files must not be visible here
        "mount -t tmpfs tmpfs /run",
        "sysctl -qw net.ipv4.conf.all.route_localnet=1",
        "iptables -N KUBE-FIREWALL",
        "iptables -A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment 'block incoming localnet connections' -j DROP",
        "iptables -A INPUT -j KUBE-FIREWALL",
        "bin/lib/cluster.sh down",
        "echo \"route_localnet=$(cat /proc/sys/net/ipv4/conf/all/route_localnet)\"",
        "echo \"kube_chains=$(iptables -S | grep -c KUBE- || true)\"");
    ProcessRun.Result result = ProcessRun.run(CHECKOUT, Duration.ofMinutes(2),
        Map.of("FLOTILLA_CLUSTER_DIR", Files.createDirectories(state.resolve("cluster")).toString()),
        List.of("unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "bash", "-c", sandbox));

    String output = result.requireSuccess();
    assertThat(output).contains("kube_chains=0").contains("route_localnet=0");
  }
}
