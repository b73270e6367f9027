package dev.flotilla.controller.model;

import dev.flotilla.controller.api.PeerSpec;
import dev.flotilla.controller.api.Role;
import dev.flotilla.controller.api.TlsMode;
import dev.flotilla.protocol.options.PartyOptions;
import dev.flotilla.protocol.options.ServerOptions;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code spec.peer}, the party-to-party channel, in the desired state. A Flotilla party in passthrough
 * mode serves its peer endpoint on {@link #port}: the Service gets a {@value #PORT_NAME} port, the route
 * (Ingress or TLSRoute, by SNI on the job's host, {@code <job>.<party>.party.<domain>}, already in its
 * certificate and DNS record) leads there instead of the gRPC port, and the party gets
 * {@code --peer-port}, {@code --peer-host} (its host) and {@code --peer-address <host>:443} (what the others
 * dial: the same route). A Flotilla aggregator gets {@code --check-peers}. The pod of either carries
 * {@value #FEDERATION_JOB_LABEL}, which the NetworkPolicies select the job's parties and aggregator by.
 * Flags the template already passes win. Pure.
 */
public final class PeerModel {

  public static final int DEFAULT_PORT = 50002;
  public static final String PORT_NAME = "peer";
  /** The federation job (the host's job label) of a pod in the peer mesh. */
  public static final String FEDERATION_JOB_LABEL = "flotilla.dev/federation-job";
  /** The port the others dial: the route's (ingress-nginx or the Gateway listener). */
  public static final int ROUTE_PORT = 443;

  private PeerModel() {}

  /** The job takes part in the peer mesh: spec.peer given and not disabled, a Flotilla image, passthrough. */
  public static boolean enabled(JobModel job) {
    PeerSpec peer = job.spec().getPeer();
    return peer != null && !Boolean.FALSE.equals(peer.getEnabled()) && job.usesFlotillaRuntime()
        && job.tlsMode() == TlsMode.PASSTHROUGH && job.federationHost().isPresent();
  }

  /** A party that serves a peer endpoint. */
  public static boolean servesEndpoint(JobModel job) {
    return enabled(job) && job.role() == Role.CLIENT;
  }

  /** The peer endpoint's port in the pod (meaningful where {@link #servesEndpoint}). */
  public static int port(JobModel job) {
    Integer port = job.spec().getPeer() == null ? null : job.spec().getPeer().getPort();
    return port == null ? DEFAULT_PORT : port;
  }

  /** Where the job's route leads in the Service: the peer port of a party that serves one, else the gRPC port. */
  public static int routedPort(JobModel job) {
    return servesEndpoint(job) ? port(job) : job.grpcPort();
  }

  /** The runtime's arguments for the peer channel, minus those the template's {@code args} already pass. */
  static List<String> args(JobModel job, List<String> templateArgs) {
    List<String> args = new ArrayList<>();
    if (!enabled(job)) {
      return args;
    }
    if (job.role() == Role.SERVER) {
      if (!ServerOptions.CHECK_PEERS.isIn(templateArgs)) {
        args.add(ServerOptions.CHECK_PEERS.flag());
      }
      return args;
    }
    if (!PartyOptions.PEER_PORT.isIn(templateArgs)) {
      args.add(PartyOptions.PEER_PORT.assignment(port(job)));
    }
    if (!PartyOptions.PEER_HOST.isIn(templateArgs)) {
      args.add(PartyOptions.PEER_HOST.assignment(job.host()));
    }
    if (!PartyOptions.PEER_ADDRESS.isIn(templateArgs)) {
      args.add(PartyOptions.PEER_ADDRESS.assignment(job.host() + ":" + ROUTE_PORT));
    }
    return args;
  }

  /** Adds the label and the arguments to {@code pod} (a copy of the template). */
  static void addTo(JobModel job, Pod pod) {
    if (!enabled(job)) {
      return;
    }
    pod.getMetadata().getLabels().put(FEDERATION_JOB_LABEL, job.identityJob());
    Container c = pod.getSpec().getContainers().get(0);
    List<String> args = new ArrayList<>(c.getArgs() == null ? List.of() : c.getArgs());
    args.addAll(args(job, args));
    c.setArgs(args);
  }

  /** The pods of {@code job}'s federation job in the given role, in the job's namespace. */
  static LabelSelector podsOf(JobModel job, Role role) {
    Map<String, String> labels = new TreeMap<>();
    labels.put(JobModel.LABEL_NAME, JobModel.APP_NAME);
    labels.put(JobModel.LABEL_ROLE, role.wireName());
    labels.put(FEDERATION_JOB_LABEL, job.identityJob());
    return new LabelSelectorBuilder().withMatchLabels(labels).build();
  }
}
