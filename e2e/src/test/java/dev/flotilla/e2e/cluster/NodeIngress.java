package dev.flotilla.e2e.cluster;

import dev.flotilla.demo.ingress.NginxIngressConfig;
import dev.flotilla.demo.ingress.NginxProcess;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * takes its DNS records' address from there.
 *
 * <p>Terminate-mode Ingresses (iflearner's images) are not served: they would need the job's Secrets
 * as files, and no pod of that kind runs in this tier (its image cannot be pulled here).
 */
final class NodeIngress implements AutoCloseable {

  static final String INGRESS_CLASS = "nginx";
  private static final Logger LOG = LoggerFactory.getLogger(NodeIngress.class);
  private static final Duration NGINX_TIMEOUT = Duration.ofSeconds(20);

  private final KubernetesClient client;
  private final String address;
  private final int port;
  private final Path prefix;
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-ingress");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean syncPending = new AtomicBoolean();
  private SharedIndexInformer<Ingress> ingresses;
  private SharedIndexInformer<Service> services;
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
    NodeIngress ingress = new NodeIngress(client, address, port, prefix);
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
    ingress.ingresses = client.network().v1().ingresses().inAnyNamespace().inform(cast(onChange), 0);
    ingress.services = client.services().inAnyNamespace().inform(cast(onChange), 0);
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

  /** {@code address:port}, where pods reach the ingress. */
  String address() {
    return address + ":" + port;
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
      NginxIngressConfig.Builder config = NginxIngressConfig.builder(prefix, port).nodeAddress(address);
      Map<String, String> next = new LinkedHashMap<>();
      List<Ingress> routed = new java.util.ArrayList<>();
      for (Ingress ingress : served) {
        Map<String, String> backends = backends(ingress);
        if (backends == null || backends.keySet().stream().anyMatch(next::containsKey)) {
          continue;
        }
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
    Map<String, String> annotations = ingress.getMetadata().getAnnotations();
    return ingress.getMetadata().getDeletionTimestamp() == null
        && ingress.getSpec() != null && INGRESS_CLASS.equals(ingress.getSpec().getIngressClassName())
        && annotations != null && "true".equalsIgnoreCase(annotations.get(NginxIngressConfig.SSL_PASSTHROUGH));
  }

  /** Host to ClusterIP:port for every rule of {@code ingress}; null while a Service or its ClusterIP is missing. */
  private Map<String, String> backends(Ingress ingress) {
    String namespace = ingress.getMetadata().getNamespace();
    Map<String, String> out = new LinkedHashMap<>();
    for (IngressRule rule : ingress.getSpec().getRules() == null ? List.<IngressRule>of() : ingress.getSpec().getRules()) {
      if (rule.getHost() == null || rule.getHttp() == null || rule.getHttp().getPaths() == null) {
        return null;
      }
      for (HTTPIngressPath path : rule.getHttp().getPaths()) {
        IngressServiceBackend backend = path.getBackend() == null ? null : path.getBackend().getService();
        Service service = backend == null ? null : services.getStore().getByKey(namespace + "/" + backend.getName());
        if (service == null || service.getSpec().getClusterIP() == null || "None".equals(service.getSpec().getClusterIP())) {
          return null;
        }
        Integer servicePort = servicePort(service, backend);
        if (servicePort == null) {
          return null;
        }
        out.put(rule.getHost().toLowerCase(java.util.Locale.ROOT), service.getSpec().getClusterIP() + ":" + servicePort);
      }
    }
    return out.isEmpty() ? null : out;
  }

  private static Integer servicePort(Service service, IngressServiceBackend backend) {
    if (backend.getPort() == null) {
      return null;
    }
    for (ServicePort p : service.getSpec().getPorts()) {
      if (Objects.equals(backend.getPort().getNumber(), p.getPort())
          || (backend.getPort().getName() != null && backend.getPort().getName().equals(p.getName()))) {
        return p.getPort();
      }
    }
    return null;
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
