package dev.flotilla.dns;

import java.util.SortedSet;

/**
 * The outcome of applying a {@link DnsEdit} to a Corefile.
 *
 * @param corefile the Corefile after the edit (the same text when nothing changed)
 * @param changed whether any byte changed
 * @param before the owner's records before the edit
 * @param after the owner's records after the edit
 */
public record EditResult(Corefile corefile, boolean changed, SortedSet<DnsRecord> before, SortedSet<DnsRecord> after) {}
