package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DnsRecordTest {

  @Test
  @DisplayName("an IPv4 address gives an A record, an IPv6 address an AAAA record in RFC 5952 form")
  void recordTypeFollowsAddressFamily() {
    DnsRecord v4 = DnsRecord.of("server.example.org", "10.0.0.1");
    DnsRecord v6 = DnsRecord.of("server.example.org", "FD00:0:0:0:0:0:0:0002");

    assertThat(v4.type()).isEqualTo(RecordType.A);
    assertThat(v4.address()).isEqualTo("10.0.0.1");
    assertThat(v6.type()).isEqualTo(RecordType.AAAA);
    assertThat(v6.address()).isEqualTo("fd00::2");
    assertThat(DnsRecord.of("h.example.org", "2001:db8:0:0:1:0:0:1").address()).isEqualTo("2001:db8::1:0:0:1");
    assertThat(DnsRecord.of("h.example.org", "2001:db8:0:1:1:1:1:1").address()).isEqualTo("2001:db8:0:1:1:1:1:1");
    assertThat(DnsRecord.of("h.example.org", "::").address()).isEqualTo("::");
  }

  @Test
  @DisplayName("host names are normalised to lower case without a trailing dot, and wildcards keep their '*.' label")
  void hostsAreNormalised() {
    DnsRecord r = DnsRecord.parse(" *.Server.Example.ORG. = 10.0.0.1 ");

    assertThat(r.host()).isEqualTo("*.server.example.org");
    assertThat(r.isWildcard()).isTrue();
    assertThat(r.zone()).isEqualTo("server.example.org");
    assertThat(r).hasToString("*.server.example.org=10.0.0.1");
    assertThat(DnsRecord.parse("*.a.party.example.org=10.0.0.2").zone()).isEqualTo("a.party.example.org");
  }

  @Test
  @DisplayName("a wildcard matches every name below its domain but not the domain itself nor a look-alike")
  void wildcardMatching() {
    DnsRecord r = DnsRecord.of("*.server.example.org", "10.0.0.1");

    assertThat(r.matches("job1.server.example.org")).isTrue();
    assertThat(r.matches("a.b.server.example.org.")).isTrue();
    assertThat(r.matches("server.example.org")).isFalse();
    assertThat(r.matches("evilserver.example.org")).isFalse();
    assertThat(DnsRecord.of("server.example.org", "10.0.0.1").matches("SERVER.example.org.")).isTrue();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "a.*.example.org | a wildcard is allowed only as the whole first label",
      "*foo.example.org | a wildcard is allowed only as the whole first label",
      "**.example.org | a wildcard is allowed only as the whole first label",
      "example.*  | a wildcard is allowed only as the whole first label",
      "* | a wildcard needs a domain after",
      "-bad.example.org | label '-bad'",
      "under_score.example.org | label 'under_score'",
      "double..dot.org | label ''",
      "sp ace.example.org | label 'sp ace'",
  })
  @DisplayName("invalid host names and misplaced wildcards are rejected with a message naming the host")
  void invalidHosts(String host, String problem) {
    assertThatThrownBy(() -> DnsRecord.of(host, "10.0.0.1"))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("'" + host + "'")
        .hasMessageContaining(problem);
  }

  @Test
  @DisplayName("a label longer than 63 characters or a name longer than 253 is rejected")
  void tooLong() {
    assertThatThrownBy(() -> DnsRecord.of("a".repeat(64) + ".example.org", "10.0.0.1"))
        .isInstanceOf(InvalidRecordException.class);
    String longName = ("a".repeat(60) + ".").repeat(5) + "org";
    assertThatThrownBy(() -> DnsRecord.of(longName, "10.0.0.1"))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("longer than 253");
  }

  @ParameterizedTest
  @ValueSource(strings = {"999.1.1.1", "10.0.0", "10.0.0.1.2", "010.0.0.1", "example.org", "localhost",
      "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "::g", "10.0.0.1/24", ""})
  @DisplayName("anything but an IPv4 or IPv6 literal is rejected as an IP, without a name lookup")
  void invalidAddresses(String ip) {
    assertThatThrownBy(() -> DnsRecord.of("server.example.org", ip))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("invalid IP address '" + ip + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"server.example.org", "server.example.org=", "=10.0.0.1", "a=b=c"})
  @DisplayName("a record specification that is not HOST=IP is rejected with the value in the message")
  void invalidSpecs(String spec) {
    assertThatThrownBy(() -> DnsRecord.parse(spec))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("invalid");
  }

  @Test
  @DisplayName("records with the same host and type conflict inside one edit when their addresses differ")
  void conflictingRecordsInOneEdit() {
    assertThatThrownBy(() -> DnsEdit.replaceAll("job", java.util.List.of(
            DnsRecord.of("a.example.org", "10.0.0.1"), DnsRecord.of("a.example.org", "10.0.0.2"))))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("conflicting records for a.example.org (A): 10.0.0.1 and 10.0.0.2");
    assertThat(DnsEdit.replaceAll("job", java.util.List.of(
            DnsRecord.of("a.example.org", "10.0.0.1"), DnsRecord.of("a.example.org", "fd00::1"))).records())
        .hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "-leading", "a=b", "x#y"})
  @DisplayName("owner keys that would break the region markers are rejected")
  void invalidOwners(String owner) {
    assertThatThrownBy(() -> DnsEdit.removeOwner(owner))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("invalid owner");
  }
}
