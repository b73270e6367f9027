package dev.flotilla.controller.model;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.ArrayList;
import java.util.List;

/** The job's ClusterIP Service: the gRPC port, the aggregator's metrics and bulk-upload ports, a party's peer port
 * ({@link PeerModel}). */
public final class ServiceModel {

  public static final String GRPC_PORT_NAME = "grpc";
  public static final String METRICS_PORT_NAME = "metrics";
  public static final String BULK_PORT_NAME = "bulk";

  private ServiceModel() {}

  public static Service desired(JobModel job) {
    List<ServicePort> ports = new ArrayList<>();
    ports.add(port(GRPC_PORT_NAME, job.grpcPort()));
    if (job.metricsPort() > 0) {
      ports.add(port(METRICS_PORT_NAME, job.metricsPort()));
    }
    if (PeerModel.servesEndpoint(job)) {
      ports.add(port(PeerModel.PORT_NAME, PeerModel.port(job)));
    }
    if (job.bulkPort() > 0) {
      ports.add(port(BULK_PORT_NAME, job.bulkPort()));
    }
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(job.serviceName())
        .withNamespace(job.namespace())
        .withLabels(job.labels())
        .withOwnerReferences(job.ownerReference())
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(job.selectorLabels())
        .withPorts(ports)
        .endSpec()
        .build();
  }

  private static ServicePort port(String name, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withProtocol("TCP")
        .withPort(port)
        .withTargetPort(new IntOrString(port))
        .build();
  }
}
