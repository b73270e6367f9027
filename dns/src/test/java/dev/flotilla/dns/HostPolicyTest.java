package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.dns.HostVerdict.Reason;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPolicyTest {

  private static final HostPolicy DEFAULTS = HostPolicy.defaults();

  private static FederationHost accepted(HostPolicy policy, String host, HostRole role) {
    HostVerdict v = policy.check(host, role);
    assertThat(v).as(host).isInstanceOf(HostVerdict.Accepted.class);
    return ((HostVerdict.Accepted) v).host();
  }

  private static HostVerdict.Refused refused(HostPolicy policy, String host, HostRole role) {
    HostVerdict v = policy.check(host, role);
    assertThat(v).as(host).isInstanceOf(HostVerdict.Refused.class);
    return (HostVerdict.Refused) v;
  }

  @Nested
  @DisplayName("the two host shapes")
  class Shapes {

    @Test
    @DisplayName("a server host gives its job (also its name) and domain; a party host its job, party and domain")
    void parts() {
      FederationHost server = accepted(DEFAULTS, "Job1.Server.Iflearner.com.", HostRole.SERVER);
      assertThat(server).isEqualTo(new FederationHost("job1.server.iflearner.com", HostRole.SERVER, "job1", null, "iflearner.com"));
      assertThat(server.name()).isEqualTo("job1");
      FederationHost party = accepted(DEFAULTS, "mnist.a.party.fl.example.org", HostRole.PARTY);
      assertThat(party).isEqualTo(new FederationHost("mnist.a.party.fl.example.org", HostRole.PARTY, "mnist", "a", "fl.example.org"));
      assertThat(party.name()).isEqualTo("a");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "job1.server.iflearner.com | PARTY | does not fit the party role: a party's host is <job>.<party>.party.<domain>",
        "job1.a.party.iflearner.com | SERVER | does not fit the server role: a server's host is <job>.server.<domain>",
        "www.example.org | SERVER | does not fit the server role",
        "server.example.org | SERVER | does not fit the server role",
        "job1.server.com | SERVER | does not fit the server role",
        "job1.a.party.com | PARTY | does not fit the party role",
        "a.party.example.org | PARTY | does not fit the party role",
        "server.server.example.org | SERVER | cannot be a job's or a party's name",
        "job1.server.party.example.org | PARTY | cannot be a job's or a party's name",
        "party.a.party.example.org | PARTY | cannot be a job's or a party's name",
    })
    @DisplayName("a host of the other role's shape, of no shape, or with 'server'/'party' as a name is refused as a role misfit, naming the host")
    void misfits(String host, HostRole role, String problem) {
      HostVerdict.Refused r = refused(DEFAULTS, host, role);
      assertThat(r.reason()).isEqualTo(Reason.ROLE_MISFIT);
      assertThat(r.message()).contains("'" + host + "'", problem);
    }

    @Test
    @DisplayName("a host fits at most one shape: the server shape never parses a party host and back")
    void shapesAreDisjoint() {
      assertThat(FederationHost.parse("j.server.party.example.org")).get().extracting(FederationHost::role).isEqualTo(HostRole.PARTY);
      assertThat(FederationHost.parse("j.server.example.org")).get().extracting(FederationHost::role).isEqualTo(HostRole.SERVER);
      assertThat(FederationHost.parse("example.org")).isEmpty();
    }
  }

  @Nested
  @DisplayName("names that are never published")
  class Reserved {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "kubernetes.default.svc.cluster.local | under the cluster domain cluster.local",
        "job1.server.cluster.local | under the cluster domain cluster.local",
        "cluster.local | under the cluster domain cluster.local",
        "job1.server.localhost | special-use domain .localhost",
        "localhost | single-label",
        "job1.server.1.in-addr.arpa | special-use domain .arpa",
        "job1.server.ip6.arpa | special-use domain .arpa",
        "job1.server.home.arpa | special-use domain .arpa",
        "job1.server.example.local | special-use domain .local",
        "job1.server.example.onion | special-use domain .onion",
        "job1.server.example.invalid | special-use domain .invalid",
        "kubernetes | single-label",
        "job1.server.example.123 | numeric label",
        "10.0.0.1 | IP literal",
        "fd00::1 | IP literal",
        "[fd00::1] | IP literal",
    })
    @DisplayName("cluster-domain, special-use, single-label names and IP literals are refused as reserved, saying which rule")
    void reserved(String host, String rule) {
      HostVerdict.Refused r = refused(DEFAULTS, host, HostRole.SERVER);
      assertThat(r.reason()).isEqualTo(Reason.RESERVED);
      assertThat(r.message()).contains(host).contains(rule);
    }

    @Test
    @DisplayName("a configured cluster domain is reserved besides cluster.local")
    void configuredClusterDomain() {
      HostPolicy policy = HostPolicy.of(List.of("Corp.Internal."), List.of());
      assertThat(policy.clusterDomains()).containsExactly("cluster.local", "corp.internal");
      assertThat(refused(policy, "job1.server.corp.internal", HostRole.SERVER).message()).contains("cluster domain corp.internal");
      assertThat(refused(policy, "job1.server.cluster.local", HostRole.SERVER).reason()).isEqualTo(Reason.RESERVED);
      accepted(policy, "job1.server.internal.example.org", HostRole.SERVER);
    }
  }

  @Nested
  @DisplayName("malformed hosts")
  class Invalid {

    @ParameterizedTest
    @ValueSource(strings = {"job_1.server.example.org", "-job.server.example.org", "job..server.example.org", "job 1.server.example.org"})
    @DisplayName("bad labels are refused as invalid with the DNS rule they break")
    void badLabels(String host) {
      HostVerdict.Refused r = refused(DEFAULTS, host, HostRole.SERVER);
      assertThat(r.reason()).isEqualTo(Reason.INVALID);
      assertThat(r.message()).contains("label");
    }

    @Test
    @DisplayName("empty, wildcard, overlong labels and overlong names are refused as invalid; a huge input is refused by its length alone")
    void boundsAndWildcards() {
      assertThat(refused(DEFAULTS, null, HostRole.SERVER).message()).contains("no host", "<job>.server.<domain>");
      assertThat(refused(DEFAULTS, " ", HostRole.PARTY).message()).contains("<job>.<party>.party.<domain>");
      assertThat(refused(DEFAULTS, "*.server.example.org", HostRole.SERVER).message()).contains("wildcard");
      assertThat(refused(DEFAULTS, "a".repeat(64) + ".server.example.org", HostRole.SERVER).reason()).isEqualTo(Reason.INVALID);
      String long254 = "j.server." + ("a".repeat(60) + ".").repeat(4) + "example.org";
      assertThat(refused(DEFAULTS, long254, HostRole.SERVER).message()).contains("253");
      HostVerdict.Refused huge = refused(DEFAULTS, "x".repeat(1_000_000), HostRole.SERVER);
      assertThat(huge.message()).hasSizeLessThan(200).contains("1000000 characters");
    }
  }

  @Nested
  @DisplayName("the allow-list of federation domains")
  class AllowList {

    private final HostPolicy policy = HostPolicy.of(List.of(), List.of("fl.example.org", "Partners.Example.NET"));

    @Test
    @DisplayName("an empty allow-list admits any domain that passes the other rules")
    void emptyAdmitsAll() {
      accepted(DEFAULTS, "job1.server.github.com", HostRole.SERVER);
      accepted(DEFAULTS, "job1.a.party.iflearner.com", HostRole.PARTY);
    }

    @Test
    @DisplayName("allowed domains and their subdomains pass; others, look-alikes and parents are refused naming the allow-list")
    void listed() {
      assertThat(policy.allowedDomains()).containsExactly("fl.example.org", "partners.example.net");
      accepted(policy, "mnist.server.fl.example.org", HostRole.SERVER);
      accepted(policy, "mnist.a.party.eu.partners.example.net", HostRole.PARTY);
      for (String host : List.of("mnist.server.example.org", "mnist.server.evilfl.example.org", "mnist.server.github.com")) {
        HostVerdict.Refused r = refused(policy, host, HostRole.SERVER);
        assertThat(r.reason()).isEqualTo(Reason.DOMAIN_NOT_ALLOWED);
        assertThat(r.message()).contains(host, "[fl.example.org, partners.example.net]");
      }
    }

    @Test
    @DisplayName("reserved rules win over the allow-list, and an allowed domain that is itself reserved or malformed is refused at start")
    void reservedDomainsCannotBeAllowed() {
      assertThatThrownBy(() -> HostPolicy.of(List.of(), List.of("svc.cluster.local")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("svc.cluster.local").hasMessageContaining("cluster domain");
      assertThatThrownBy(() -> HostPolicy.of(List.of(), List.of("home.arpa"))).hasMessageContaining("special-use");
      assertThatThrownBy(() -> HostPolicy.of(List.of(), List.of("org"))).hasMessageContaining("single-label");
      assertThatThrownBy(() -> HostPolicy.of(List.of(), List.of("*.example.org"))).hasMessageContaining("not a DNS name");
      assertThatThrownBy(() -> HostPolicy.of(List.of("bad_domain"), List.of())).hasMessageContaining("cluster domain");
      HostPolicy clusterAllowed = HostPolicy.of(Set.of(), Set.of("example.org"));
      assertThat(refused(clusterAllowed, "j.server.example.local", HostRole.SERVER).reason()).isEqualTo(Reason.RESERVED);
    }
  }
}
