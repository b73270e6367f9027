package dev.flotilla.e2e.cluster;

import dev.flotilla.common.AtomicFiles;
import dev.flotilla.controller.model.NginxAnnotations;
import dev.flotilla.demo.TlsPaths;
import dev.flotilla.demo.ingress.NginxIngressConfig;
import dev.flotilla.demo.ingress.NginxProcess;
import dev.flotilla.testing.FreePorts;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingress of the single-node cluster tier: no ingress-nginx image is served here, so the Debian
 * nginx on the node does its job for the controller's passthrough Ingresses. It watches Ingresses of
 * class {@value #INGRESS_CLASS} in every namespace, renders them with the demo's
 * {@link NginxIngressConfig} (SNI to the backend Service's ClusterIP and port, which kube-proxy routes
 * to the current pod, so a replaced pod needs no new configuration), listens on the node's address,
 * reloads nginx when the routes change, and publishes that address in each served Ingress's
 * {@code status.loadBalancer}, as ingress-nginx does. The controller (without {@code --ingress-address})
 * takes its DNS records' address from there. Terminate-mode Ingresses (iflearner's images) are served
 * too: the Secrets they name (spec.tls, auth-tls-secret, proxy-ssl-secret) are written as files
 * (0600) under the prefix, as ingress-nginx keeps them on its disk.
 *
 * <p>A named cluster ({@code cluster.sh --name}) runs no kube-proxy, so a ClusterIP leads nowhere: there
 * ({@link #startOnNamedCluster}) a backend is the address of a running pod the Service selects, at the
 * Service port's targetPort, and a pod's replacement renders again. Pinned hosts go to a fixed address
 * (an endpoint that runs on the host, such as a controller's enrollment endpoint).
 */
final class NodeIngress implements AutoCloseable {

  static final String INGRESS_CLASS = "nginx";
  private static final Logger LOG = LoggerFactory.getLogger(NodeIngress.class);
  private static final Duration NGINX_TIMEOUT = Duration.ofSeconds(20);

  private final KubernetesClient client;
  private final String address;
  private final int port;
  private final Path prefix;
  /** Where the HTTPS server of terminate-mode Ingresses listens when passthrough ones own the public port. */
  private final int internalHttpsPort = FreePorts.next();
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-ingress");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean syncPending = new AtomicBoolean();
  private SharedIndexInformer<Ingress> ingresses;
  private SharedIndexInformer<Service> services;
  private SharedIndexInformer<Secret> secrets;
  private SharedIndexInformer<Pod> pods;
  /** Named clusters: backends are pod addresses, not ClusterIPs. */
  private boolean podBackends;
  /** host to a fixed backend address, whatever its Ingress's Service says. */
  private Map<String, String> pinned = Map.of();
  private volatile Map<String, String> routes = Map.of();
  private NginxProcess nginx;
  private String rendered;

  private NodeIngress(KubernetesClient client, String address, int port, Path prefix) {
    this.client = client;
    this.address = address;
    this.port = port;
    this.prefix = prefix;
  }

  /**
   * Starts watching and serves as soon as an Ingress can be routed; nginx runs in {@code prefix}
   * (configuration, logs) and listens on {@code address:port}.
   */
  static NodeIngress start(KubernetesClient client, String address, int port, Path prefix) {
    return start(new NodeIngress(client, address, port, prefix));
  }

  /**
   * As {@link #start}, on a named cluster: backends are the addresses of the pods the Services select,
   * and {@code pinned} hosts go to their fixed address (host to {@code ip:port}).
   */
  static NodeIngress startOnNamedCluster(KubernetesClient client, String address, int port, Path prefix,
      Map<String, String> pinned) {
    NodeIngress ingress = new NodeIngress(client, address, port, prefix);
    ingress.podBackends = true;
    ingress.pinned = Map.copyOf(pinned);
    return start(ingress);
  }

  private static NodeIngress start(NodeIngress ingress) {
    KubernetesClient client = ingress.client;
    ResourceEventHandler<Object> onChange = new ResourceEventHandler<>() {
      @Override
      public void onAdd(Object obj) {
        ingress.requestSync();
      }

      @Override
      public void onUpdate(Object oldObj, Object newObj) {
        ingress.requestSync();
      }

      @Override
      public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
        ingress.requestSync();
      }
    };
    // all three handlers call sync(), which reads all three stores: start them once all exist
    ingress.ingresses = client.network().v1().ingresses().inAnyNamespace().runnableInformer(0);
    ingress.services = client.services().inAnyNamespace().runnableInformer(0);
    // a terminating Ingress waits for the Secrets it names; their arrival (or reissue) renders again
    ingress.secrets = client.secrets().inAnyNamespace().runnableInformer(0);
    List<SharedIndexInformer<?>> informers = new java.util.ArrayList<>(List.of(ingress.ingresses, ingress.services, ingress.secrets));
    if (ingress.podBackends) {
      ingress.pods = client.pods().inAnyNamespace().runnableInformer(0);
      informers.add(ingress.pods);
    }
    for (SharedIndexInformer<?> informer : informers) {
      informer.addEventHandler(cast(onChange));
      informer.run();
    }
    ingress.requestSync();
    return ingress;
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) handler;
  }

  /** What nginx serves now: host to backend address (ClusterIP:port). */
  Map<String, String> routes() {
    return routes;
  }

  /** The address nginx listens on, without the port: what DNS records and Federation members name. */
  String ip() {
    return address;
  }

  /** {@code address:port}, where pods reach the ingress. */
  String address() {
    return address + ":" + port;
  }

  /**
   * nginx's stream (passthrough) access log, one line per ended session with its SNI and bytes; kept
   * when nginx stops for lack of Ingresses (which ends, and so logs, every session).
   */
  String streamAccessLog() {
    Path log = prefix.resolve("logs/stream-access.log");
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log, e);
    }
  }

  /** The running nginx (its logs); null while no Ingress can be served. */
  synchronized NginxProcess nginx() {
    return nginx;
  }

  private void requestSync() {
    if (syncPending.compareAndSet(false, true)) {
      // coalesce the bursts a job's creation makes (Service, then Ingress) into one render
      worker.schedule(this::sync, 100, TimeUnit.MILLISECONDS);
    }
  }

  private void sync() {
    syncPending.set(false);
    try {
      List<Ingress> served = ingresses.getStore().list().stream()
          .filter(NodeIngress::servedHere)
          .sorted(Comparator.comparing((Ingress i) -> i.getMetadata().getNamespace()).thenComparing(i -> i.getMetadata().getName()))
          .toList();
      NginxIngressConfig.Builder config = NginxIngressConfig.builder(prefix, port).nodeAddress(address)
          .internalHttpsPort(internalHttpsPort);
      Map<String, String> next = new LinkedHashMap<>();
      List<Ingress> routed = new java.util.ArrayList<>();
      for (Ingress ingress : served) {
        Map<String, String> backends = backends(ingress);
        Map<String, TlsPaths> secrets = passthrough(ingress) ? Map.of() : secretFiles(ingress);
        if (backends == null || secrets == null || backends.keySet().stream().anyMatch(next::containsKey)) {
          continue;
        }
        secrets.forEach(config::secret);
        routed.add(ingress);
        config.ingress(ingress);
        backends.forEach(config::backend);
        next.putAll(backends);
      }
      apply(next.isEmpty() ? null : config.build().render());
      routes = Map.copyOf(next);
      routed.forEach(this::publishAddress);
    } catch (RuntimeException e) {
      LOG.warn("node ingress: sync failed, retrying in 1 s: {}", e.toString());
      worker.schedule(this::requestSync, 1, TimeUnit.SECONDS);
    }
  }

  private static boolean servedHere(Ingress ingress) {
    return ingress.getMetadata().getDeletionTimestamp() == null
        && ingress.getSpec() != null && INGRESS_CLASS.equals(ingress.getSpec().getIngressClassName());
  }

  private static boolean passthrough(Ingress ingress) {
    Map<String, String> annotations = ingress.getMetadata().getAnnotations();
    return annotations != null && "true".equalsIgnoreCase(annotations.get(NginxAnnotations.SSL_PASSTHROUGH));
  }

  /**
   * The Secrets a terminating Ingress names, written as files under {@code prefix/secrets/<ns>/<name>};
   * null while one of them does not exist yet.
   */
  private Map<String, TlsPaths> secretFiles(Ingress ingress) {
    String namespace = ingress.getMetadata().getNamespace();
    Set<String> names = new TreeSet<>();
    if (ingress.getSpec().getTls() != null) {
      ingress.getSpec().getTls().stream().map(IngressTLS::getSecretName).filter(Objects::nonNull).forEach(names::add);
    }
    Map<String, String> annotations = ingress.getMetadata().getAnnotations() == null ? Map.of() : ingress.getMetadata().getAnnotations();
    for (String key : List.of(NginxAnnotations.AUTH_TLS_SECRET, NginxAnnotations.PROXY_SSL_SECRET)) {
      if (annotations.get(key) != null) {
        names.add(annotations.get(key));
      }
    }
    Map<String, TlsPaths> files = new LinkedHashMap<>();
    for (String name : names) {
      String ns = name.contains("/") ? name.substring(0, name.indexOf('/')) : namespace;
      String simple = name.substring(name.indexOf('/') + 1);
      Secret secret = secrets.getStore().getByKey(ns + "/" + simple);
      if (secret == null || secret.getData() == null) {
        return null;
      }
      Path dir = prefix.resolve("secrets").resolve(ns).resolve(simple);
      for (String key : List.of("tls.crt", "tls.key", "ca.crt")) {
        String value = secret.getData().get(key);
        if (value != null) {
          writePrivately(dir.resolve(key), Base64.getDecoder().decode(value));
        }
      }
      files.put(ns + "/" + simple, TlsPaths.inDirectory(dir));
    }
    return files;
  }

  private static void writePrivately(Path file, byte[] content) {
    try {
      Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      if (Files.exists(file) && Arrays.equals(Files.readAllBytes(file), content)) {
        return;
      }
      AtomicFiles.writeBytes(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Host to ClusterIP:port for every rule of {@code ingress}; null while a Service or its ClusterIP is missing. */
  private Map<String, String> backends(Ingress ingress) {
    String namespace = ingress.getMetadata().getNamespace();
    Map<String, String> out = new LinkedHashMap<>();
    for (IngressRule rule : ingress.getSpec().getRules() == null ? List.<IngressRule>of() : ingress.getSpec().getRules()) {
      if (rule.getHost() == null || rule.getHttp() == null || rule.getHttp().getPaths() == null) {
        return null;
      }
      String host = rule.getHost().toLowerCase(java.util.Locale.ROOT);
      if (pinned.containsKey(host)) {
        out.put(host, pinned.get(host));
        continue;
      }
      for (HTTPIngressPath path : rule.getHttp().getPaths()) {
        IngressServiceBackend backend = path.getBackend() == null ? null : path.getBackend().getService();
        Service service = backend == null ? null : services.getStore().getByKey(namespace + "/" + backend.getName());
        if (service == null || service.getSpec().getClusterIP() == null || "None".equals(service.getSpec().getClusterIP())) {
          return null;
        }
        ServicePort servicePort = servicePort(service, backend);
        if (servicePort == null) {
          return null;
        }
        String target = podBackends ? podBackend(service, servicePort) : service.getSpec().getClusterIP() + ":" + servicePort.getPort();
        if (target == null) {
          return null;
        }
        out.put(host, target);
      }
    }
    return out.isEmpty() ? null : out;
  }

  private static ServicePort servicePort(Service service, IngressServiceBackend backend) {
    if (backend.getPort() == null) {
      return null;
    }
    for (ServicePort p : service.getSpec().getPorts()) {
      if (Objects.equals(backend.getPort().getNumber(), p.getPort())
          || (backend.getPort().getName() != null && backend.getPort().getName().equals(p.getName()))) {
        return p;
      }
    }
    return null;
  }

  /**
   * {@code podIP:targetPort} of the running pod (first by name) that {@code service} selects, as an
   * endpoints controller would pick it; null while none runs.
   */
  private String podBackend(Service service, ServicePort port) {
    Map<String, String> selector = service.getSpec().getSelector();
    if (selector == null || selector.isEmpty()) {
      return null;
    }
    return pods.getStore().list().stream()
        .filter(p -> service.getMetadata().getNamespace().equals(p.getMetadata().getNamespace()))
        .filter(p -> p.getMetadata().getLabels() != null && p.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
            && "Running".equals(p.getStatus().getPhase()) && p.getStatus().getPodIP() != null)
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .map(p -> {
          Integer target = targetPort(p, port);
          return target == null ? null : p.getStatus().getPodIP() + ":" + target;
        })
        .filter(Objects::nonNull).findFirst().orElse(null);
  }

  /** The Service port's targetPort in {@code pod}: a number, a container port's name, or the port itself. */
  private static Integer targetPort(Pod pod, ServicePort port) {
    IntOrString target = port.getTargetPort();
    if (target == null) {
      return port.getPort();
    }
    if (target.getIntVal() != null) {
      return target.getIntVal();
    }
    return pod.getSpec().getContainers().stream()
        .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.<ContainerPort>empty() : c.getPorts().stream())
        .filter(p -> target.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort).findFirst().orElse(null);
  }

  private synchronized void apply(String config) {
    if (Objects.equals(config, rendered)) {
      return;
    }
    if (config == null) {
      nginx.close();
      nginx = null;
    } else if (nginx == null || !nginx.isAlive()) {
      nginx = NginxProcess.start(prefix, config, address, port, NGINX_TIMEOUT);
      LOG.info("node ingress: nginx (pid {}) serving on {}", nginx.pid(), address());
    } else {
      nginx.reload(config, NGINX_TIMEOUT);
    }
    rendered = config;
    LOG.info("node ingress: routes now {}", routesIn(config));
  }

  private static String routesIn(String config) {
    return config == null ? "none" : config.lines().map(String::trim).filter(l -> l.contains("  # Ingress "))
        .toList().toString();
  }

  /** Writes this node's address into the Ingress's status.loadBalancer, as ingress-nginx does, unless it is there. */
  private void publishAddress(Ingress ingress) {
    List<IngressLoadBalancerIngress> current = ingress.getStatus() == null || ingress.getStatus().getLoadBalancer() == null
        ? null : ingress.getStatus().getLoadBalancer().getIngress();
    if (current != null && current.size() == 1 && address.equals(current.get(0).getIp())) {
      return;
    }
    try {
      client.network().v1().ingresses().inNamespace(ingress.getMetadata().getNamespace()).withName(ingress.getMetadata().getName())
          .editStatus(i -> new IngressBuilder(i).editOrNewStatus().withNewLoadBalancer()
              .withIngress(new IngressLoadBalancerIngressBuilder().withIp(address).build()).endLoadBalancer().endStatus().build());
      LOG.info("node ingress: Ingress {}/{} status address {}", ingress.getMetadata().getNamespace(),
          ingress.getMetadata().getName(), address);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  @Override
  public void close() {
    if (ingresses != null) {
      ingresses.close();
    }
    if (services != null) {
      services.close();
    }
    if (secrets != null) {
      secrets.close();
    }
    if (pods != null) {
      pods.close();
    }
    worker.shutdownNow();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (nginx != null) {
        nginx.close();
      }
    }
  }
}
