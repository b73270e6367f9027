package dev.flotilla.controller.model;

import dev.flotilla.dns.DnsRecord;
import java.util.List;

/**
 * The CoreDNS records that make the job's host resolve to the ingress controller, in the shape
 * iflearner's README types by hand: {@code *.server.<domain>} for a server,
 * {@code *.<party>.party.<domain>} for a party, the exact host for any other name.
 */
public final class DnsModel {

  private DnsModel() {}

  /** The host the record is published for. */
  public static String recordHost(JobModel job) {
    String host = job.host();
    String[] labels = host.split("\\.");
    boolean server = labels.length >= 3 && labels[1].equals("server");
    boolean party = labels.length >= 4 && labels[2].equals("party");
    if (server || party) {
      return "*." + host.substring(host.indexOf('.') + 1);
    }
    return host;
  }

  /** The records, empty when DNS is off for the job or the address is unknown. */
  public static List<DnsRecord> records(JobModel job, String ingressAddress) {
    if (!job.dnsEnabled() || ingressAddress == null) {
      return List.of();
    }
    return List.of(DnsRecord.of(recordHost(job), ingressAddress));
  }
}
