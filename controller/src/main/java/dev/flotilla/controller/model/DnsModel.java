package dev.flotilla.controller.model;

import dev.flotilla.dns.DnsRecord;
import java.util.List;

/**
 * The CoreDNS records that make the job's host (and its bulk-upload port's name) resolve to the
 * ingress controller: exactly those names, never a wildcard. A wildcard ({@code *.server.<domain>}, as iflearner's README types by
 * hand) would answer every other job's names in the domain, and a job may publish only its own.
 */
public final class DnsModel {

  private DnsModel() {}

  /** The records, empty when DNS is off for the job or the address is unknown. */
  public static List<DnsRecord> records(JobModel job, String ingressAddress) {
    if (!job.dnsEnabled() || ingressAddress == null) {
      return List.of();
    }
    if (job.bulkHost() != null) {
      return List.of(DnsRecord.of(job.host(), ingressAddress), DnsRecord.of(job.bulkHost(), ingressAddress));
    }
    return List.of(DnsRecord.of(job.host(), ingressAddress));
  }
}
