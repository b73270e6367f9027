package dev.flotilla.testing;

/** The Corefile in kube-system/coredns of a fresh kubeadm cluster: what the controller's DNS step finds and edits. */
public final class KubeadmCorefile {

  public static final String TEXT = """
      .:53 {
          errors
          health {
             lameduck 5s
          }
          ready
          kubernetes cluster.local in-addr.arpa ip6.arpa {
             pods insecure
             fallthrough in-addr.arpa ip6.arpa
             ttl 30
          }
          prometheus :9153
          forward . /etc/resolv.conf {
             max_concurrent 1000
          }
          cache 30
          loop
          reload
          loadbalance
      }
      """;

  private KubeadmCorefile() {}
}
