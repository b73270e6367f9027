package dev.flotilla.controller.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.KeyType;
import dev.flotilla.certs.enroll.CaPin;
import dev.flotilla.certs.enroll.EnrollmentToken;
import dev.flotilla.certs.enroll.JoinToken;
import dev.flotilla.controller.join.JoinModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("the chart's join Secret (federation.join with joinSecret.token given by --set-file)")
class JoinSecretChartTest {
  static final String TOKEN = new JoinToken(EnrollmentToken.generate(new SecureRandom()),
      CaPin.of(CertificateAuthority.createRoot("coordinator", Duration.ofDays(1), KeyType.EC_P256).certificate())).value();

  @TempDir Path dir;

  /** The token as 'controller enroll token create' leaves it in a file: one line, a newline after it. */
  Path tokenFile(String text) throws IOException {
    return Files.writeString(Files.createTempFile(dir, "alice", ".token"), text + "\n");
  }

  static Map<String, Object> values(Map<String, Object> joinSecret) {
    Map<String, Object> values = new HashMap<>();
    values.put("federation", Map.of("member", "alice", "join", true));
    values.put("joinSecret", joinSecret);
    return values;
  }

  static Map<String, Object> where() {
    return Map.of("endpoint", "https://203.0.113.10", "domain", "fl.example.org", "job", "mnist");
  }

  List<Map<String, Object>> secrets(Map<String, Object> values, Path token) {
    return FlotillaChart.parse(FlotillaChart.template(values, Map.of("joinSecret.token", token))).stream()
        .filter(o -> "Secret".equals(o.get("kind"))).toList();
  }

  @Test
  @DisplayName("renders the Secret the controller's --join enrolls with: type, keys and values as JoinModel reads them, the "
      + "organisation defaulting to federation.member, the token without its newline")
  void secretTheControllerReads() throws IOException {
    List<Map<String, Object>> secrets = secrets(values(where()), tokenFile(TOKEN));
    assertThat(secrets).hasSize(1);
    Secret secret = Serialization.unmarshal(FlotillaChart.yaml(secrets.get(0)), Secret.class);
    assertThat(secret.getMetadata().getName()).isEqualTo("flotilla-join");
    assertThat(secret.getMetadata().getNamespace()).isEqualTo(FlotillaChart.NAMESPACE);
    assertThat(secret.getData()).containsOnlyKeys(JoinModel.TOKEN, JoinModel.ENDPOINT, JoinModel.DOMAIN, JoinModel.JOB,
        JoinModel.ORGANISATION);
    JoinModel.Join join = JoinModel.parse(secret);
    assertThat(join.identity()).isEqualTo(Identity.party("fl.example.org", "mnist", "alice"));
    assertThat(join.endpoint()).isEqualTo(URI.create("https://203.0.113.10"));
    assertThat(join.token().value()).isEqualTo(TOKEN);
    assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get(JoinModel.TOKEN)),
        java.nio.charset.StandardCharsets.US_ASCII)).as("stored without the file's newline").isEqualTo(TOKEN);

    Map<String, Object> named = new HashMap<>(where());
    named.put("organisation", "alice-research");
    named.put("name", "join-fl");
    Secret other = Serialization.unmarshal(FlotillaChart.yaml(secrets(values(named), tokenFile(TOKEN)).get(0)), Secret.class);
    assertThat(other.getMetadata().getName()).isEqualTo("join-fl");
    assertThat(JoinModel.parse(other).identity()).isEqualTo(Identity.party("fl.example.org", "mnist", "alice-research"));
  }

  @Test
  @DisplayName("no token, no Secret: the other joinSecret values alone make nothing")
  void noTokenNoSecret() {
    assertThat(FlotillaChart.render(values(where()))).noneMatch(o -> "Secret".equals(o.get("kind")));
  }

  @Test
  @DisplayName("refuses a token it cannot use, naming the value and never repeating the token: without federation.join, "
      + "not a join token, without endpoint, domain, job or organisation")
  void refusals() throws IOException {
    Path token = tokenFile(TOKEN);
    Map<String, Object> noJoin = values(where());
    noJoin.put("federation", Map.of("member", "alice"));
    assertThatThrownBy(() -> secrets(noJoin, token)).hasMessageContaining("joinSecret.token needs federation.join=true")
        .hasMessageNotContaining(TOKEN);
    String mangled = TOKEN.replace(":sha256:", ":md5:");
    Path bad = tokenFile(mangled);
    assertThatThrownBy(() -> secrets(values(where()), bad)).hasMessageContaining("joinSecret.token is not a join token")
        .hasMessageNotContaining(mangled.substring(0, 23));
    for (String key : List.of("endpoint", "domain", "job")) {
      Map<String, Object> missing = new HashMap<>(where());
      missing.remove(key);
      assertThatThrownBy(() -> secrets(values(missing), token)).hasMessageContaining("joinSecret.token needs joinSecret." + key);
    }
    Map<String, Object> noMember = values(where());
    noMember.put("federation", Map.of("join", true));
    assertThatThrownBy(() -> secrets(noMember, token)).hasMessageContaining("joinSecret.organisation or federation.member");
  }

  @Test
  @DisplayName("values.schema.json refuses an endpoint that is not https://HOST[:PORT] and names that are no DNS names")
  void schemaRefuses() throws IOException {
    Path token = tokenFile(TOKEN);
    for (Map.Entry<String, String> wrong : Map.of("endpoint", "http://203.0.113.10", "domain", "FL_example", "job", "mnist/x",
        "organisation", "Alice").entrySet()) {
      Map<String, Object> joinSecret = new HashMap<>(where());
      joinSecret.put(wrong.getKey(), wrong.getValue());
      assertThatThrownBy(() -> secrets(values(joinSecret), token)).hasMessageContaining("schema").hasMessageContaining(wrong.getKey());
    }
  }

  @Test
  @DisplayName("joinSecret.namespaces becomes key namespaces, comma-separated, which JoinModel reads as the only namespaces "
      + "allowed; without it the Secret has no such key")
  void namespacesRendered() throws IOException {
    Map<String, Object> restricted = new HashMap<>(where());
    restricted.put("namespaces", List.of("alice-ml", "alice-research"));
    Secret secret = Serialization.unmarshal(FlotillaChart.yaml(secrets(values(restricted), tokenFile(TOKEN)).get(0)), Secret.class);
    assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get(JoinModel.NAMESPACES)),
        java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("alice-ml,alice-research");
    JoinModel.Join join = JoinModel.parse(secret);
    assertThat(join.namespaces()).containsExactly("alice-ml", "alice-research");
    assertThat(JoinModel.namespaceRefusal(List.of(secret), join.identitySecretName(), "tenant")).contains("namespace tenant may not use organisation alice's enrolled identity: join "
        + "Secret " + FlotillaChart.NAMESPACE + "/flotilla-join allows only alice-ml, alice-research");

    Secret open = Serialization.unmarshal(FlotillaChart.yaml(secrets(values(where()), tokenFile(TOKEN)).get(0)), Secret.class);
    assertThat(open.getData()).doesNotContainKey(JoinModel.NAMESPACES);
    assertThat(JoinModel.unrestrictedWarning(open)).isPresent();
  }

  @Test
  @DisplayName("values.schema.json refuses joinSecret.namespaces with a name that is no DNS-1123 label, a name twice, a string "
      + "instead of a list, or more than 64 names")
  void schemaRefusesBadNamespaces() throws IOException {
    Path token = tokenFile(TOKEN);
    List<Object> wrong = List.of(List.of("alice-ml", "Alice_ML"), List.of("a.b"), List.of("x".repeat(64)), List.of("ml", "ml"),
        "alice-ml", java.util.stream.IntStream.range(0, 65).mapToObj(i -> "ns" + i).toList());
    for (Object namespaces : wrong) {
      Map<String, Object> joinSecret = new HashMap<>(where());
      joinSecret.put("namespaces", namespaces);
      assertThatThrownBy(() -> secrets(values(joinSecret), token)).as(String.valueOf(namespaces)).hasMessageContaining("schema")
          .hasMessageContaining("namespaces");
    }
    Map<String, Object> sixtyFour = new HashMap<>(where());
    sixtyFour.put("namespaces", java.util.stream.IntStream.range(0, 64).mapToObj(i -> "ns" + i).toList());
    assertThat(JoinModel.parse(Serialization.unmarshal(FlotillaChart.yaml(secrets(values(sixtyFour), token).get(0)), Secret.class))
        .namespaces()).hasSize(64);
  }
}
