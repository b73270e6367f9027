package dev.flotilla.protocol.tls;

import dev.flotilla.certs.CertificateAuthority;
import dev.flotilla.certs.Identity;
import dev.flotilla.certs.IssuedCertificate;
import dev.flotilla.certs.LeafRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;

/** A tiny gRPC service that answers with the caller's identity, and helpers to issue and write certificates. */
final class TlsFixtures {
  private TlsFixtures() {}

  static final String DOMAIN = "example.org";
  static final String JOB = "job1";
  static final String SERVER_NAME = "job1.server.example.org";
  static final Identity SERVER = Identity.server(DOMAIN, JOB, JOB);

  /** The aggregator of job1, serving *.server.example.org. */
  static IssuedCertificate serverCertificate(CertificateAuthority ca) {
    return ca.issue(LeafRequest.builder(SERVER).dnsNames("*.server.example.org").build());
  }

  /** A party of job1 (clientAuth + serverAuth). */
  static IssuedCertificate partyCertificate(CertificateAuthority ca, String name) {
    return ca.issue(LeafRequest.builder(Identity.party(DOMAIN, JOB, name)).dnsNames(name + ".party." + DOMAIN).build());
  }

  /** A channel to the aggregator of the files' own job, verifying job1.server.example.org. */
  static ManagedChannel channel(int port, TlsFiles files) {
    return MutualTlsChannels.forTarget("127.0.0.1:" + port, SERVER_NAME, files,
        ExpectedPeer.aggregatorOf(files.identity())).build();
  }

  static final MethodDescriptor<String, String> WHO_AM_I = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("flotilla.test.Identity/WhoAmI")
      .setRequestMarshaller(new Utf8())
      .setResponseMarshaller(new Utf8())
      .build();

  static ServerServiceDefinition identityService() {
    return identityService(PeerIdentityInterceptor.partiesOf(SERVER));
  }

  static ServerServiceDefinition identityService(io.grpc.ServerInterceptor interceptor) {
    ServerServiceDefinition service = ServerServiceDefinition.builder("flotilla.test.Identity")
        .addMethod(WHO_AM_I, ServerCalls.asyncUnaryCall((request, response) -> {
          PeerIdentity peer = PeerIdentity.current();
          response.onNext(peer.name() + "|" + peer.role().pathSegment() + "|" + peer.uri());
          response.onCompleted();
        }))
        .build();
    return ServerInterceptors.intercept(service, interceptor);
  }

  static TlsFiles write(IssuedCertificate issued, Path dir) {
    issued.writeTo(dir);
    return TlsFiles.inDirectory(dir);
  }

  static TlsFiles write(IssuedCertificate issued, CertificateAuthority ca, Path dir) {
    return write(issued, dir);
  }

  /** Calls WhoAmI with a deadline; records the server certificate the connection presented. */
  static String whoAmI(Channel channel, AtomicReference<X509Certificate> serverCertificate) {
    Channel recording = io.grpc.ClientInterceptors.intercept(channel, new ServerCertificateRecorder(serverCertificate));
    return ClientCalls.blockingUnaryCall(recording, WHO_AM_I, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "?");
  }

  static String whoAmI(Channel channel) {
    return whoAmI(channel, new AtomicReference<>());
  }

  static void stop(Server server) throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static void stop(ManagedChannel channel) throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static final class ServerCertificateRecorder implements ClientInterceptor {
    private final AtomicReference<X509Certificate> sink;

    ServerCertificateRecorder(AtomicReference<X509Certificate> sink) {
      this.sink = sink;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
        CallOptions callOptions, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, callOptions)) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          ClientCall<ReqT, RespT> call = this;
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onHeaders(Metadata responseHeaders) {
              SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
              try {
                sink.set((X509Certificate) session.getPeerCertificates()[0]);
              } catch (Exception e) {
                sink.set(null);
              }
              super.onHeaders(responseHeaders);
            }
          }, headers);
        }
      };
    }
  }

  /** A string as UTF-8 bytes: the test services' messages. */
  static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
