package dev.flotilla.dns.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dns.Corefiles;
import dev.flotilla.testing.FreePorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DnsCommandTest {

  @TempDir Path dir;
  private Path corefile;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writeCorefile() throws IOException {
    corefile = dir.resolve("Corefile");
    Files.writeString(corefile, Corefiles.read(Corefiles.KUBEADM), StandardCharsets.UTF_8);
  }

  private int run(String... args) {
    return DnsCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  @DisplayName("render prints the Corefile with the records in the cli region and leaves the file alone")
  void render() throws IOException {
    int code = run("render", "--corefile", corefile.toString(),
        "--record", "*.server.example.org=10.0.0.1", "--record", "*.a.party.example.org=fd00::2");

    assertThat(code).isZero();
    assertThat(err.toString()).isEmpty();
    assertThat(out.toString())
        .startsWith(Corefiles.read(Corefiles.KUBEADM).substring(0, Corefiles.read(Corefiles.KUBEADM).length() - 2) + "    # flotilla-dns")
        .contains("    # flotilla-dns BEGIN owner=cli ")
        .contains("    template IN AAAA a.party.example.org {\n        match ^.+\\.a\\.party\\.example\\.org\\.$\n"
            + "        answer \"{{ .Name }} 60 IN AAAA fd00::2\"\n        fallthrough\n    }\n")
        .contains("answer \"{{ .Name }} 60 IN A 10.0.0.1\"")
        .endsWith("    # flotilla-dns END owner=cli\n}\n");
    assertThat(Files.readString(corefile)).isEqualTo(Corefiles.read(Corefiles.KUBEADM));
  }

  @Test
  @DisplayName("render --remove takes a host out of the region given in the file, keeping the others")
  void renderRemove() throws IOException {
    run("render", "--corefile", corefile.toString(), "--owner", "job",
        "--record", "*.server.example.org=10.0.0.1", "--record", "a.example.org=10.0.0.2");
    Files.writeString(corefile, out.toString());
    out.getBuffer().setLength(0);

    int code = run("render", "--corefile", corefile.toString(), "--owner", "job", "--remove", "*.server.example.org");

    assertThat(code).isZero();
    assertThat(out.toString()).contains("template IN A a.example.org").doesNotContain("server.example.org");
  }

  @Test
  @DisplayName("hosts prints the hosts block, listing wildcard records for the names given")
  void hosts() {
    int code = run("hosts", "--record", "*.server.example.org=10.0.0.1", "--record", "a.party.example.org=10.0.0.2",
        "--name", "job1.server.example.org");

    assertThat(code).isZero();
    assertThat(out.toString()).isEqualTo("# BEGIN flotilla-dns\n10.0.0.2\ta.party.example.org\n"
        + "10.0.0.1\tjob1.server.example.org\n# END flotilla-dns\n");
  }

  @Test
  @DisplayName("hosts --hosts-file prints that file with its flotilla-dns block replaced and every other line kept")
  void hostsFileReplaced() throws IOException {
    Path hostsFile = dir.resolve("hosts");
    Files.writeString(hostsFile, "127.0.0.1\tlocalhost\n# BEGIN flotilla-dns\n10.9.9.9\told.example.org\n# END flotilla-dns\n"
        + "192.168.1.1\trouter\n");

    int code = run("hosts", "--record", "server.example.org=10.0.0.1", "--hosts-file", hostsFile.toString());

    assertThat(code).isZero();
    assertThat(out.toString()).isEqualTo("127.0.0.1\tlocalhost\n# BEGIN flotilla-dns\n10.0.0.1\tserver.example.org\n"
        + "# END flotilla-dns\n192.168.1.1\trouter\n");
    assertThat(Files.readString(hostsFile)).contains("old.example.org");
  }

  @Test
  @DisplayName("--replace makes the owner's records exactly the given ones; with --remove it is refused")
  void replace() throws IOException {
    run("render", "--corefile", corefile.toString(), "--record", "a.example.org=10.0.0.1");
    Files.writeString(corefile, out.toString());
    out.getBuffer().setLength(0);

    assertThat(run("render", "--corefile", corefile.toString(), "--replace", "--record", "b.example.org=10.0.0.2")).isZero();
    assertThat(out.toString()).contains("template IN A b.example.org").doesNotContain("a.example.org");
    out.getBuffer().setLength(0);
    assertThat(run("render", "--corefile", corefile.toString(), "--replace", "--remove", "a.example.org")).isEqualTo(2);
    assertThat(err.toString()).contains("--replace and --remove do not go together");
    assertThat(out.toString()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--record | a.*.example.org=10.0.0.1 | invalid host 'a.*.example.org': a wildcard is allowed only as the whole first label",
      "--record | server.example.org=10.0.0.256 | invalid IP address '10.0.0.256'",
      "--record | server.example.org | invalid record 'server.example.org': expected HOST=IP",
      "--remove | bad_host.example.org | invalid host 'bad_host.example.org'",
      "--owner | has space | invalid owner 'has space'",
  })
  @DisplayName("bad values exit 2 with one line on stderr naming the value, and print nothing")
  void badValues(String option, String value, String message) {
    int code = run("render", "--corefile", corefile.toString(), option, value);

    assertThat(code).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).contains(message).endsWith("\n");
    assertThat(err.toString().strip()).doesNotContain("\n").startsWith("flotilla dns render: ");
  }

  @Test
  @DisplayName("a Corefile that does not parse exits 6 (bad input) naming the line, and prints nothing")
  void unparseableCorefile() throws IOException {
    Files.writeString(corefile, ".:53 {\n    errors\n    forward . \"8.8.8.8\n}\n");

    int code = run("render", "--corefile", corefile.toString(), "--record", "server.example.org=10.0.0.1");

    assertThat(code).isEqualTo(6);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).isEqualTo("flotilla dns render: Corefile line 3: unterminated quoted string\n");
  }

  @Test
  @DisplayName("a missing Corefile exits 4 (missing), a missing server block 6 (bad input), with the problem named")
  void missingInputs() {
    assertThat(run("render", "--corefile", dir.resolve("nope").toString())).isEqualTo(4);
    assertThat(err.toString()).contains("cannot read '" + dir.resolve("nope") + "': no such file");
    err.getBuffer().setLength(0);

    assertThat(run("render", "--corefile", corefile.toString(), "--server-block", "cluster.local:53",
        "--record", "a.example.org=10.0.0.1")).isEqualTo(6);
    assertThat(err.toString()).contains("no server block for 'cluster.local:53'");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  @DisplayName("an unknown option or a missing subcommand exits 2 with one line")
  void usageErrors() {
    assertThat(run("render", "--corefile", corefile.toString(), "--bogus")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option: '--bogus'");
    err.getBuffer().setLength(0);
    assertThat(run()).isEqualTo(2);
    assertThat(err.toString()).isEqualTo("flotilla dns: missing command: render, hosts or apply (see 'flotilla dns --help')\n");
  }

  @Test
  @DisplayName("apply against an API server that is not there exits 3 (unreachable) naming the ConfigMap and the connection failure")
  void applyUnreachable() throws IOException {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\n"
        + "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:" + FreePorts.next() + "\n    insecure-skip-tls-verify: true\n"
        + "users:\n- name: u\n  user:\n    token: t\n"
        + "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
        + "current-context: x\n");

    int code = run("apply", "--kubeconfig", kubeconfig.toString(), "--record", "server.example.org=10.0.0.1");

    assertThat(code).isEqualTo(3);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).startsWith("flotilla dns apply: cannot read configmap kube-system/coredns key Corefile")
        .contains("ConnectException");
  }

  @ParameterizedTest
  @ValueSource(strings = {"render", "hosts", "apply"})
  @DisplayName("every subcommand has --help that lists its options and exits 0")
  void help(String command) {
    int code = run(command, "--help");

    assertThat(code).isZero();
    assertThat(out.toString()).contains("Usage: flotilla dns " + command).contains("--record");
    if (command.equals("apply")) {
      assertThat(out.toString()).contains("--kubeconfig", "--namespace", "--configmap", "--remove");
    }
  }
}
