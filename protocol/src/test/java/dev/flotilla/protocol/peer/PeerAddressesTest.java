package dev.flotilla.protocol.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PeerAddressesTest {

  @Test
  @DisplayName("HOST:PORT with a DNS name, an IPv4 address or a bracketed IPv6 address is accepted unchanged")
  void validAddresses() {
    assertThat(PeerAddresses.checkAddress("job1.a.party.example.org:443")).isEqualTo("job1.a.party.example.org:443");
    assertThat(PeerAddresses.checkAddress("10.0.0.7:50002")).isEqualTo("10.0.0.7:50002");
    assertThat(PeerAddresses.checkAddress("[::1]:1")).isEqualTo("[::1]:1");
  }

  @Test
  @DisplayName("no port, port 0 or above 65535, an empty host, odd characters, an unclosed bracket: refused, saying which")
  void invalidAddresses() {
    assertThatThrownBy(() -> PeerAddresses.checkAddress("host")).hasMessageContaining("is not HOST:PORT");
    assertThatThrownBy(() -> PeerAddresses.checkAddress("host:0")).hasMessageContaining("no valid port");
    assertThatThrownBy(() -> PeerAddresses.checkAddress("host:65536")).hasMessageContaining("no valid port");
    assertThatThrownBy(() -> PeerAddresses.checkAddress(":443")).hasMessageContaining("is not HOST:PORT");
    assertThatThrownBy(() -> PeerAddresses.checkAddress("ho st:443")).hasMessageContaining("has no valid host");
    assertThatThrownBy(() -> PeerAddresses.checkAddress("ho\nst:443")).hasMessage("the peer address 'ho?st:443' has no "
        + "valid host (a DNS name, an IPv4 address or a bracketed IPv6 address)");
    assertThatThrownBy(() -> PeerAddresses.checkAddress("[::1:443")).hasMessageContaining("unclosed IPv6 bracket");
    assertThatThrownBy(() -> PeerAddresses.checkAddress("")).hasMessage("the peer address is empty");
  }

  @Test
  @DisplayName("an address longer than 261 characters is refused by its length, before it is parsed")
  void addressBound() {
    String longest = "a".repeat(PeerAddresses.MAX_ADDRESS_CHARS - 4) + ":443";
    assertThat(PeerAddresses.checkAddress(longest)).hasSize(261);
    assertThatThrownBy(() -> PeerAddresses.checkAddress("a" + longest))
        .hasMessage("the peer address is 262 characters long, more than 261");
  }

  @Test
  @DisplayName("a server name is a DNS name of at most 253 characters, lower-cased")
  void serverNames() {
    assertThat(PeerAddresses.checkServerName("Job1.A.party.example.org")).isEqualTo("job1.a.party.example.org");
    assertThatThrownBy(() -> PeerAddresses.checkServerName("a..b")).hasMessageContaining("is not a DNS name");
    assertThatThrownBy(() -> PeerAddresses.checkServerName("-a.b")).hasMessageContaining("is not a DNS name");
    assertThatThrownBy(() -> PeerAddresses.checkServerName("a_b.org")).hasMessageContaining("is not a DNS name");
    assertThatThrownBy(() -> PeerAddresses.checkServerName("a".repeat(64) + ".org")).hasMessageContaining("is not a DNS name");
    String tooLong = ("a".repeat(63) + ".").repeat(4) + "org";
    assertThatThrownBy(() -> PeerAddresses.checkServerName(tooLong))
        .hasMessage("the peer's TLS server name is 259 characters long, more than 253");
  }
}
