package dev.flotilla.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link DnsEdit#claim}: a name belongs to the earliest region that answers it. */
class NameClaimTest {

  private static final String A = "iflearnerjob/team-a/job1";
  private static final String B = "iflearnerjob/team-b/job1";
  private static final DnsRecord JOB1 = DnsRecord.of("job1.server.example.org", "10.0.0.1");
  private static final DnsRecord JOB1_ELSEWHERE = DnsRecord.of("job1.server.example.org", "10.6.6.6");
  private static final DnsRecord JOB2 = DnsRecord.of("job2.server.example.org", "10.0.0.1");

  private final CorefileEditor editor = new CorefileEditor();
  private final String kubeadm = Corefiles.read(Corefiles.KUBEADM);

  @Test
  @DisplayName("a second owner cannot claim a name the first holds: refused naming host and holder, and no byte changes")
  void secondOwnerRefused() {
    Corefile withA = editor.apply(kubeadm, DnsEdit.claim(A, List.of(JOB1))).corefile();
    assertThatThrownBy(() -> editor.apply(withA, DnsEdit.claim(B, List.of(JOB1_ELSEWHERE))))
        .isInstanceOfSatisfying(NameClaimedException.class, e -> {
          assertThat(e.host()).isEqualTo("job1.server.example.org");
          assertThat(e.holder()).isEqualTo(A);
          assertThat(e.getMessage()).contains(A, B, "job1.server.example.org");
        });
    assertThat(editor.managedRecords(withA)).containsOnlyKeys(A);
    // other names stay free, and the holder may rewrite its own record
    assertThat(editor.apply(withA, DnsEdit.claim(B, List.of(JOB2))).changed()).isTrue();
    assertThat(editor.apply(withA, DnsEdit.claim(A, List.of(JOB1_ELSEWHERE))).after()).containsExactly(JOB1_ELSEWHERE);
  }

  @Test
  @DisplayName("when two regions already answer one name, the earlier keeps it and the later one's claim is refused")
  void earliestRegionHolds() {
    // written without claims (an older controller, a person): both regions answer job1
    Corefile both = editor.apply(editor.apply(kubeadm, DnsEdit.replaceAll(A, List.of(JOB1))).corefile(),
        DnsEdit.replaceAll(B, List.of(JOB1_ELSEWHERE))).corefile();
    assertThat(editor.apply(both, DnsEdit.claim(A, List.of(JOB1))).changed()).isFalse();
    assertThatThrownBy(() -> editor.apply(both, DnsEdit.claim(B, List.of(JOB1_ELSEWHERE))))
        .isInstanceOfSatisfying(NameClaimedException.class, e -> assertThat(e.holder()).isEqualTo(A));
  }

  @Test
  @DisplayName("a wildcard of another owner holds every name below it (and a claim for a name it answers is refused); once removed, the name is free")
  void wildcardsHoldTheirNames() {
    Corefile cli = editor.apply(kubeadm, DnsEdit.replaceAll("cli", List.of(DnsRecord.of("*.server.example.org", "10.0.0.9"))))
        .corefile();
    assertThatThrownBy(() -> editor.apply(cli, DnsEdit.claim(A, List.of(JOB1))))
        .isInstanceOfSatisfying(NameClaimedException.class, e -> assertThat(e.holder()).isEqualTo("cli"));
    assertThat(editor.apply(cli, DnsEdit.claim(A, List.of(DnsRecord.of("job1.a.party.example.org", "10.0.0.1")))).changed()).isTrue();
    Corefile freed = editor.apply(cli, DnsEdit.removeOwner("cli")).corefile();
    assertThat(editor.apply(freed, DnsEdit.claim(A, List.of(JOB1))).changed()).isTrue();
  }

  @Test
  @DisplayName("a region that was edited by hand refuses every claim with its line, since the names it answers are unknown")
  void unreadableRegionRefusesClaims() {
    String handEdited = editor.apply(kubeadm, DnsEdit.replaceAll("cli", List.of(JOB2))).corefile().render()
        .replace("match ^job2\\.server\\.example\\.org\\.$", "match ^.*$");
    assertThatThrownBy(() -> editor.apply(handEdited, DnsEdit.claim(A, List.of(JOB1))))
        .isInstanceOf(CorefileEditException.class).hasMessageContaining("line").hasMessageContaining("no other owner may claim");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "a.example.org | a.example.org | true",
      "a.example.org | b.example.org | false",
      "*.example.org | a.example.org | true",
      "*.example.org | example.org | false",
      "*.example.org | *.a.example.org | true",
      "*.a.example.org | *.example.org | true",
      "*.a.example.org | *.b.example.org | false",
      "*.example.org | evilexample.org | false",
  })
  @DisplayName("two records overlap when some name is answered by both, in either order")
  void overlaps(String left, String right, boolean overlap) {
    DnsRecord l = DnsRecord.of(left, "10.0.0.1");
    DnsRecord r = DnsRecord.of(right, "fd00::1");
    assertThat(l.overlaps(r)).isEqualTo(overlap);
    assertThat(r.overlaps(l)).isEqualTo(overlap);
  }
}
