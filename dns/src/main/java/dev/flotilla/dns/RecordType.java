package dev.flotilla.dns;

/** The DNS record type a {@link DnsRecord} answers with: IPv4 addresses give A, IPv6 addresses AAAA. */
public enum RecordType {
  A,
  AAAA
}
