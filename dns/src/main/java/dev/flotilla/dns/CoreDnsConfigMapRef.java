package dev.flotilla.dns;

import java.util.Objects;

/**
 * Where the cluster's Corefile lives: a ConfigMap and the data key holding the text.
 *
 * @param namespace the ConfigMap's namespace ({@code kube-system} by default)
 * @param name the ConfigMap's name ({@code coredns} by default)
 * @param key the data key ({@code Corefile} by default)
 */
public record CoreDnsConfigMapRef(String namespace, String name, String key) {

  public static final String DEFAULT_NAMESPACE = "kube-system";
  public static final String DEFAULT_NAME = "coredns";
  public static final String DEFAULT_KEY = "Corefile";

  public CoreDnsConfigMapRef {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(key, "key");
  }

  /** {@code kube-system/coredns}, key {@code Corefile}: kubeadm's and k3s's defaults. */
  public static CoreDnsConfigMapRef defaults() {
    return new CoreDnsConfigMapRef(DEFAULT_NAMESPACE, DEFAULT_NAME, DEFAULT_KEY);
  }

  @Override
  public String toString() {
    return "configmap " + namespace + "/" + name + " key " + key;
  }
}
