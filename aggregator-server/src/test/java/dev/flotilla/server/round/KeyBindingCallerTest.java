package dev.flotilla.server.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import dev.flotilla.certs.JobPki;
import dev.flotilla.certs.Pem;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.protocol.secagg.RoundKeyBinding;
import dev.flotilla.protocol.secagg.SecAggParams;
import dev.flotilla.protocol.secagg.SecureRoundClient;
import dev.flotilla.protocol.secagg.ShareCourier;
import dev.flotilla.protocol.status.RoundRecord;
import dev.flotilla.protocol.tls.TlsFiles;
import dev.flotilla.protocol.v1.SecAggPartyMessage;
import dev.flotilla.protocol.v1.TrainRequest;
import dev.flotilla.server.FakeParty;
import dev.flotilla.server.Federation;
import dev.flotilla.server.ServerConfig;
import dev.flotilla.server.TestIdentity;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.MethodDescriptor;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator checks each round-key binding against the caller's connection (RoundKeyBinding.callerProblem):
 * mallory, connected with its own certificate, advertises keys bound to bob's certificate; it is refused at key
 * advertisement with the reason, and the round completes for the others.
 */
class KeyBindingCallerTest {

  private static final String MODEL = "mlp:4-3-2";

  @TempDir
  Path dir;

  @Test
  @DisplayName("keys bound to another party's certificate are refused at key advertisement, naming both identities; "
      + "the round completes with the mean of the other three")
  void bindingOfAnotherPartyRefused() throws Exception {
    JobPki pki = JobPki.create(dir.resolve("pki"), "flotilla.test", "jobk");
    TlsFiles mallory = TlsFiles.inDirectory(pki.party("mallory"));
    X509Certificate malloryCertificate = Pem.readCertificates(mallory.certificateChain()).get(0);
    X509Certificate bobCertificate = Pem.readCertificates(TlsFiles.inDirectory(pki.party("bob")).certificateChain())
        .get(0);
    ServerConfig config = ServerConfig.builder().jobId("jobk").model(MODEL).seed(5).rounds(1).minParties(3)
        .expectedParties(4).roundTimeout(Duration.ofMinutes(10)).finalEvaluationWait(Duration.ZERO)
        .secureAggregation(100.0).stateDir(dir.resolve("state")).build();
    List<TensorSpec> specs = ModelSpecs.forName(MODEL);
    ExecutorService pool = Executors.newCachedThreadPool();
    try (Federation f = new Federation(config)) {
      List<FakeParty> parties = new ArrayList<>();
      for (String name : List.of("alice", "bob", "carol", "mallory")) {
        FakeParty p = f.party(name);
        p.connect(10, SecAggParams.CAPABILITY);
        parties.add(p);
      }
      List<Future<?>> honest = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        TrainRequest train = parties.get(i).awaitTrain();
        float[][] update = constant(specs, i + 1);
        String name = parties.get(i).name;
        honest.add(pool.submit(() -> {
          SecureRoundClient client = new SecureRoundClient(ClientInterceptors.intercept(f.channel,
              TestIdentity.as(name)), train, Duration.ofMinutes(5), Duration.ofMinutes(4), null, ShareCourier.RELAY_ONLY);
          client.shareKeys();
          return client.submit(update, 10, Map.of());
        }));
      }
      TrainRequest malloryTrain = parties.get(3).awaitTrain();
      // mallory's connection presents its own certificate; its hello's binding carries bob's
      Channel hostile = ClientInterceptors.intercept(f.channel, TestIdentity.as("mallory", malloryCertificate),
          chainReplacedBy(bobCertificate));
      SecureRoundClient client = new SecureRoundClient(hostile, malloryTrain, Duration.ofMinutes(5),
          Duration.ofMinutes(4), RoundKeyBinding.of(mallory), ShareCourier.RELAY_ONLY);

      Throwable refused = catchThrowable(client::shareKeys);

      assertThat(refused).isNotNull();
      assertThat(messages(refused)).contains("party 'mallory' advertised keys its certificate does not speak for: its "
          + "keys are bound to spiffe://flotilla.test/job/jobk/party/bob, but its mTLS identity is "
          + "spiffe://flotilla.test/job/jobk/party/mallory");
      for (Future<?> d : honest) {
        d.get(5, TimeUnit.MINUTES);
      }
      f.done.get(5, TimeUnit.MINUTES);
      RoundRecord round = f.coordinator.status().rounds().get(0);
      assertThat(round.parties()).containsExactlyInAnyOrder("alice", "bob", "carol");
      for (float[] tensor : parties.get(0).fetch(specs, 1).tensors()) {
        for (float v : tensor) {
          assertThat(v).isCloseTo(2.0f, org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Replaces the certificate chain of the hello's binding (the signature stays mallory's). */
  private static ClientInterceptor chainReplacedBy(X509Certificate certificate) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          @SuppressWarnings("unchecked")
          public void sendMessage(Q message) {
            if (message instanceof SecAggPartyMessage m && m.hasHello()) {
              try {
                var keys = m.getHello().getKeys();
                var binding = keys.getBinding().toBuilder().clearCertificateChain()
                    .addCertificateChain(ByteString.copyFrom(certificate.getEncoded()));
                message = (Q) m.toBuilder().setHello(m.getHello().toBuilder().setKeys(keys.toBuilder()
                    .setBinding(binding))).build();
              } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException(e);
              }
            }
            super.sendMessage(message);
          }
        };
      }
    };
  }

  private static String messages(Throwable t) {
    StringBuilder out = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      out.append(c.getMessage()).append('\n');
    }
    return out.toString();
  }

  private static float[][] constant(List<TensorSpec> specs, float value) {
    float[][] out = new float[specs.size()][];
    for (int t = 0; t < specs.size(); t++) {
      out[t] = new float[specs.get(t).numElements()];
      Arrays.fill(out[t], value);
    }
    return out;
  }
}
