package dev.flotilla.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real component that an integration tier needs. Each knows how to tell whether it is present
 * on this machine; {@code bin/flotilla test} installs all of those that Debian packages provide.
 */
public enum RealServer {
  OPENSSL("openssl", "the openssl command") {
    @Override
    boolean isPresent() {
      return onPath("openssl");
    }
  },
  NGINX("nginx", "nginx with the stream module (Debian packages nginx, libnginx-mod-stream)") {
    @Override
    boolean isPresent() {
      return Files.isExecutable(Path.of("/usr/sbin/nginx"))
          && Files.exists(Path.of("/usr/lib/nginx/modules/ngx_stream_module.so"));
    }
  },
  KUBE_API_SERVER("kube-apiserver", "kube-apiserver, etcd and kubectl 1.20.2 in ~/.kubeapitest/k8s/1.20.2-linux-amd64") {
    @Override
    boolean isPresent() {
      Path dir = kubeApiTestBinaries();
      return Files.isExecutable(dir.resolve("kube-apiserver"))
          && Files.isExecutable(dir.resolve("etcd"))
          && Files.isExecutable(dir.resolve("kubectl"));
    }
  },
  FASHION_MNIST("fashion-mnist", "Fashion-MNIST idx files in /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist)") {
    @Override
    boolean isPresent() {
      return Files.isDirectory(fashionMnistDirectory());
    }
  },
  /** Debian's python3 with python3-torch and the safetensors package, for tests that check files against PyTorch. */
  PYTORCH("pytorch", "/usr/bin/python3 with torch (Debian package python3-torch) and safetensors (pip wheel)") {
    @Override
    boolean isPresent() {
      return PythonProbe.canImport("torch", "safetensors");
    }
  },
  /** The small CSV data sets that Debian's python3-sklearn ships, for the tabular job tests. */
  SKLEARN_DATA("sklearn-data", "CSV data sets in " + "/usr/lib/python3/dist-packages/sklearn/datasets/data (Debian package python3-sklearn)") {
    @Override
    boolean isPresent() {
      return Files.isRegularFile(sklearnDataDirectory().resolve("breast_cancer.csv"));
    }
  },
  /**
   * Debian's containerd, ctr and runc, and root: {@code bin/lib/cluster.sh containerd-up} starts the
   * cluster's containerd from them, and images run there with {@code ctr run} (no kubelet needed).
   */
  CONTAINERD("containerd", "containerd, ctr and runc as root (Debian packages containerd, runc), with tar and jq") {
    @Override
    boolean isPresent() {
      return "root".equals(System.getProperty("user.name"))
          && Stream.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc")
              .allMatch(binary -> Files.isExecutable(Path.of(binary)))
          && onPath("tar") && onPath("jq");
    }
  },
  /**
   * The runtime image of the module under test, {@code target/jib-image.tar}, which its profile
   * {@code images} writes ({@code bin/flotilla test} builds with it; {@code bin/lib/images.sh build}).
   */
  RUNTIME_IMAGE("runtime-image", "this module's runtime image target/jib-image.tar (mvn -Pimages package, on the base "
      + "image of bin/lib/base-image.sh)") {
    @Override
    boolean isPresent() {
      return Files.isRegularFile(RuntimeImage.moduleTarball());
    }
  },
  /**
   * The kubectl a user types for {@code apply -k config/...}: {@code /usr/bin/kubectl} with kustomize v4 or
   * later, which takes directories in {@code resources}. The kubectl built with kube-apiserver 1.20.2 embeds
   * kustomize 2.0.3, which does not, and Debian serves no newer kubectl; this machine image has one from the
   * Google Cloud SDK. Tests that use it check the kustomize version it reports.
   */
  KUBECTL_KUSTOMIZE("kubectl-kustomize", "/usr/bin/kubectl with kustomize v4 or later (the kubectl built with"
      + " kube-apiserver 1.20.2 embeds kustomize 2.0.3, and Debian serves no newer kubectl; this machine image has one"
      + " from the Google Cloud SDK)") {
    @Override
    boolean isPresent() {
      return Files.isExecutable(kubectlWithKustomize());
    }
  },
  /**
   * The single-node cluster of {@code bin/lib/cluster.sh} (the *ClusterIT tier): Debian's containerd,
   * runc, CNI plugins, conntrack, iptables, busybox-static and etcd, the kubelet, kube-proxy,
   * kube-scheduler and kube-controller-manager built by {@code bin/lib/setup-test-env.sh}, and root.
   */
  SINGLE_NODE_CLUSTER("single-node-cluster", "a single-node cluster as root: containerd, runc, containernetworking-plugins,"
      + " conntrack, iptables, busybox-static, etcd and kubelet, kube-proxy, kube-scheduler, kube-controller-manager"
      + " 1.20.2 in " + kubernetesNodeBinaries() + ", and /usr/bin/kubectl with kustomize v4 or later (for apply -k of"
      + " config/: the kubectl built with kube-apiserver 1.20.2 embeds kustomize 2.0.3, and Debian serves no newer"
      + " kubectl; this machine image has one from the Google Cloud SDK)") {
    @Override
    boolean isPresent() {
      Path node = kubernetesNodeBinaries();
      return "root".equals(System.getProperty("user.name"))
          && KUBE_API_SERVER.isPresent()
          && Stream.of("kubelet", "kube-proxy", "kube-scheduler", "kube-controller-manager")
              .allMatch(binary -> Files.isExecutable(node.resolve(binary)))
          && Stream.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", "/usr/sbin/conntrack", "/bin/busybox",
                  "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback", "/usr/lib/cni/portmap")
              .allMatch(binary -> Files.isExecutable(Path.of(binary)))
          && onPath("iptables")
          && KUBECTL_KUSTOMIZE.isPresent();
    }
  },
  /** Debian's chromium and its chromedriver, the real browser of the web view's tests ({@link HeadlessChromium}). */
  CHROMIUM("chromium", "chromium and chromedriver (Debian packages chromium, chromium-driver)") {
    @Override
    boolean isPresent() {
      return Files.isExecutable(HeadlessChromium.BROWSER) && Files.isExecutable(HeadlessChromium.DRIVER);
    }
  },
  /**
   * A Docker engine, for the kind tier. No Debian package can give one inside this sandbox, so
   * this tier is the one exception to {@code FLOTILLA_REQUIRE_ALL_TIERS}: it reports a skip.
   */
  DOCKER_ENGINE("docker", "a running Docker engine (for kind)") {
    @Override
    boolean isPresent() {
      return Files.exists(Path.of("/var/run/docker.sock"))
          || Optional.ofNullable(System.getenv("DOCKER_HOST")).isPresent();
    }

    @Override
    boolean installableBySetup() {
      return false;
    }
  };

  private final String shortName;
  private final String description;

  RealServer(String shortName, String description) {
    this.shortName = shortName;
    this.description = description;
  }

  abstract boolean isPresent();

  boolean installableBySetup() {
    return true;
  }

  /** Where python3-sklearn keeps its bundled CSV data sets. */
  public static Path sklearnDataDirectory() {
    return Path.of("/usr/lib/python3/dist-packages/sklearn/datasets/data");
  }

  public String shortName() {
    return shortName;
  }

  public String description() {
    return description;
  }

  /**
   * Where {@code bin/lib/setup-test-env.sh} caches the node's binaries: the cache directory
   * ({@code FLOTILLA_CACHE}, else ~/.cache/flotilla) and the name bin/lib/kubernetes-binaries.sh gives it.
   */
  public static Path kubernetesNodeBinaries() {
    String cache = System.getenv("FLOTILLA_CACHE");
    Path cacheDirectory = cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "flotilla");
    return cacheDirectory.resolve("k8s-1.20.2-node-recipe2");
  }

  /** The kubectl of {@link #KUBECTL_KUSTOMIZE}. */
  public static Path kubectlWithKustomize() {
    return Path.of("/usr/bin/kubectl");
  }

  /** Where fabric8 kube-api-test looks for the 1.20.2 binaries. */
  public static Path kubeApiTestBinaries() {
    return Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s", "1.20.2-linux-amd64");
  }

  /** Directory of the Fashion-MNIST idx files; {@code FLOTILLA_FASHION_MNIST} overrides it. */
  public static Path fashionMnistDirectory() {
    String override = System.getenv("FLOTILLA_FASHION_MNIST");
    return Path.of(override != null ? override : "/usr/share/datasets/fashion-mnist");
  }

  static boolean onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
