package dev.flotilla.testing;

import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;

/**
 * The base of every test class on a real kube-apiserver: kube-api-test starts kube-apiserver and etcd
 * {@value #KUBE_API_VERSION} (what bin/flotilla test installs in ~/.kubeapitest) once for the class and
 * injects their kubeconfig; where they are missing the class is skipped, or fails with
 * {@code FLOTILLA_REQUIRE_ALL_TIERS=1}. A class that needs more real servers names them all in its own
 * {@link RequiresRealServers}. A base class, not an annotation, because kube-api-test looks for its
 * annotation on the test class and its superclasses only.
 */
@EnableKubeAPIServer(kubeAPIVersion = OnKubeApiServer.KUBE_API_VERSION)
@RequiresRealServers(RealServer.KUBE_API_SERVER)
public abstract class OnKubeApiServer {
  public static final String KUBE_API_VERSION = "1.20.2";

  /** The API server's kubeconfig as YAML, set before the class's {@code @BeforeAll} methods run. */
  @KubeConfig protected static String kubeConfigYaml;

  protected OnKubeApiServer() {}

  /**
   * One more kube-apiserver and etcd of the same version, for a test of several clusters (one per
   * organisation): started here, on ports of their own, with their own etcd data; the caller stops it.
   * The class's own server (and its skip or failure when the binaries are missing) comes first.
   */
  protected static io.fabric8.kubeapitest.KubeAPIServer startAnother() {
    io.fabric8.kubeapitest.KubeAPIServer server = new io.fabric8.kubeapitest.KubeAPIServer(
        io.fabric8.kubeapitest.KubeAPIServerConfigBuilder.anAPIServerConfig().withApiServerVersion(KUBE_API_VERSION)
            .withUpdateKubeConfig(false).build());
    server.start();
    return server;
  }
}
