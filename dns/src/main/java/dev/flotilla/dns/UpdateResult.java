package dev.flotilla.dns;

import java.util.SortedSet;

/**
 * The outcome of a {@link CoreDnsUpdater} call.
 *
 * @param changed whether the ConfigMap was written (false: the records were already there)
 * @param attempts read-edit-write attempts made (more than 1 after conflicts)
 * @param resourceVersion the ConfigMap's resourceVersion after the call
 * @param before the owner's records before
 * @param after the owner's records after
 */
public record UpdateResult(
    boolean changed, int attempts, String resourceVersion, SortedSet<DnsRecord> before, SortedSet<DnsRecord> after) {}
