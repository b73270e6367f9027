package dev.flotilla.controller.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.controller.api.DnsSpec;
import dev.flotilla.controller.api.IflearnerJob;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class IngressAddressChoiceTest {

  private static JobModel jobIn(String namespace, String specAddress) {
    IflearnerJob j = Samples.load("flotilla-fashion-mnist/server.yaml", namespace);
    j.getSpec().setDns(specAddress == null ? null : new DnsSpec(null, specAddress));
    return new JobModel(j);
  }

  @Test
  @DisplayName("by default spec.dns.ingressAddress is refused: the controller's address is used and the refusal names the flags")
  void refusedByDefault() {
    IngressAddressChoice c = IngressAddressChoice.choose(jobIn("team", "10.66.66.66"), PublishPolicy.defaults(), "172.31.164.52", "10.0.0.9");
    assertThat(c.address()).isEqualTo("172.31.164.52");
    assertThat(c.source()).isEqualTo("the controller's --ingress-address");
    assertThat(c.refusedOverride()).isEqualTo("10.66.66.66");
    assertThat(c.refusalMessage("team")).contains("10.66.66.66", "namespace team", "--allow-ingress-address-override",
        "--ingress-address-override-namespace team");
  }

  @Test
  @DisplayName("without a controller address the Ingress status address is used, still refusing the job's own")
  void statusAddressFallback() {
    IngressAddressChoice c = IngressAddressChoice.choose(jobIn("team", "10.66.66.66"), PublishPolicy.defaults(), null, "10.0.0.9");
    assertThat(c.address()).isEqualTo("10.0.0.9");
    assertThat(c.source()).isEqualTo("the Ingress status");
    assertThat(c.refusedOverride()).isEqualTo("10.66.66.66");
    IngressAddressChoice none = IngressAddressChoice.choose(jobIn("team", null), PublishPolicy.defaults(), null, null);
    assertThat(none.address()).isNull();
    assertThat(none.refusalMessage("team")).isNull();
  }

  @Test
  @DisplayName("in a namespace the controller lists (or everywhere when told so) the job's address is honoured")
  void honoured() {
    PublishPolicy inTeam = PublishPolicy.defaults().withIngressAddressOverrideIn(List.of("team"));
    assertThat(IngressAddressChoice.choose(jobIn("team", "10.66.66.66"), inTeam, "172.31.164.52", null))
        .isEqualTo(new IngressAddressChoice("10.66.66.66", "spec.dns.ingressAddress", null));
    assertThat(IngressAddressChoice.choose(jobIn("other", "10.66.66.66"), inTeam, "172.31.164.52", null).refusedOverride())
        .isEqualTo("10.66.66.66");
    PublishPolicy everywhere = PublishPolicy.defaults().withIngressAddressOverrideEverywhere();
    assertThat(IngressAddressChoice.choose(jobIn("other", "10.66.66.66"), everywhere, "172.31.164.52", null).address())
        .isEqualTo("10.66.66.66");
    assertThat(IngressAddressChoice.choose(jobIn("other", null), everywhere, "172.31.164.52", null))
        .isEqualTo(new IngressAddressChoice("172.31.164.52", "the controller's --ingress-address", null));
  }
}
