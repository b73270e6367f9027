package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HostsFileTest {

  @Test
  @DisplayName("exact records become address-host lines, A before AAAA, between the block markers")
  void exactRecords() {
    String block = HostsFile.render(List.of(
        DnsRecord.of("server.example.org", "10.0.0.1"),
        DnsRecord.of("a.party.example.org", "10.0.0.2"),
        DnsRecord.of("a.party.example.org", "fd00::2")));

    assertThat(block).isEqualTo("# BEGIN flotilla-dns\n"
        + "10.0.0.2\ta.party.example.org\n"
        + "fd00::2\ta.party.example.org\n"
        + "10.0.0.1\tserver.example.org\n"
        + "# END flotilla-dns\n");
  }

  @Test
  @DisplayName("wildcards are listed for the concrete names they cover; exact and longer wildcards win")
  void wildcardsExpandToNames() {
    String block = HostsFile.render(
        List.of(DnsRecord.of("*.server.example.org", "10.0.0.1"),
            DnsRecord.of("*.party.example.org", "10.0.0.5"),
            DnsRecord.of("*.a.party.example.org", "10.0.0.2"),
            DnsRecord.of("pinned.server.example.org", "10.0.0.9")),
        List.of("job1.server.example.org", "pinned.server.example.org", "x.a.party.example.org", "x.b.party.example.org"));

    assertThat(block).isEqualTo("# BEGIN flotilla-dns\n"
        + "10.0.0.1\tjob1.server.example.org\n"
        + "10.0.0.9\tpinned.server.example.org\n"
        + "10.0.0.2\tx.a.party.example.org\n"
        + "10.0.0.5\tx.b.party.example.org\n"
        + "# END flotilla-dns\n");
  }

  @Test
  @DisplayName("a wildcard that covers none of the names is reported in a comment, not silently dropped")
  void unusedWildcard() {
    String block = HostsFile.render(List.of(DnsRecord.of("*.server.example.org", "10.0.0.1")));

    assertThat(block).isEqualTo("# BEGIN flotilla-dns\n"
        + "# *.server.example.org -> 10.0.0.1: hosts files have no wildcards; name the hosts with --name\n"
        + "# END flotilla-dns\n");
    assertThatThrownBy(() -> HostsFile.render(List.of(), List.of("*.x.org")))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("'*.x.org'");
  }

  @Test
  @DisplayName("replacing the block in a hosts file keeps every other line, and appends the block when there is none")
  void replaceBlock() {
    String block = HostsFile.render(List.of(DnsRecord.of("server.example.org", "10.0.0.1")));
    String hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost";

    String first = HostsFile.replaceBlock(hosts, block);
    String second = HostsFile.replaceBlock(first + "192.168.1.1\trouter\n",
        HostsFile.render(List.of(DnsRecord.of("server.example.org", "10.0.0.7"))));

    assertThat(first).isEqualTo(hosts + "\n" + block);
    assertThat(second).isEqualTo(hosts + "\n# BEGIN flotilla-dns\n10.0.0.7\tserver.example.org\n# END flotilla-dns\n"
        + "192.168.1.1\trouter\n");
  }
}
