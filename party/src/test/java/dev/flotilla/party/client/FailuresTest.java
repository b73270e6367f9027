package dev.flotilla.party.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FailuresTest {

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Status.Code.class, names = {"PERMISSION_DENIED", "UNAUTHENTICATED", "FAILED_PRECONDITION",
      "RESOURCE_EXHAUSTED", "UNIMPLEMENTED", "INVALID_ARGUMENT"})
  @DisplayName("refusals at Join are final and the reason keeps the server's description")
  void refusals(Status.Code code) {
    assertThat(Failures.refusalAtJoin(Status.fromCode(code).withDescription("party mallory is not allowed")))
        .hasValueSatisfying(reason -> assertThat(reason).contains(code.name()).contains("party mallory is not allowed"));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Status.Code.class, names = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "ALREADY_EXISTS", "CANCELLED",
      "INTERNAL", "UNKNOWN", "ABORTED"})
  @DisplayName("transient failures at Join are retried")
  void transientFailures(Status.Code code) {
    assertThat(Failures.refusalAtJoin(Status.fromCode(code))).isEmpty();
  }

  @Test
  @DisplayName("a handshake failure deep in the cause chain is found and recognised as a certificate problem")
  void certificateProblem() {
    SSLHandshakeException handshake = new SSLHandshakeException("General OpenSslEngine problem");
    handshake.initCause(new CertificateException("No subject alternative DNS name matching aggregator.test found."));
    Throwable failure = Status.UNAVAILABLE.withDescription("io exception").withCause(handshake).asRuntimeException();

    assertThat(Failures.tlsCause(failure)).containsSame(handshake);
    assertThat(Failures.looksLikeCertificateProblem(handshake)).isTrue();
    assertThat(Failures.rootMessage(failure)).contains("No subject alternative DNS name");
  }

  @Test
  @DisplayName("a connection refused is not mistaken for a TLS failure")
  void connectionRefused() {
    Throwable failure = Status.UNAVAILABLE.withCause(new java.net.ConnectException("Connection refused")).asRuntimeException();
    assertThat(Failures.tlsCause(failure)).isEmpty();
    assertThat(Failures.describe(Status.fromThrowable(failure))).contains("UNAVAILABLE").contains("connection refused");
  }
}
