package dev.flotilla.party.peer;

import dev.flotilla.cli.ExitCode;
import dev.flotilla.certs.Identity;
import dev.flotilla.party.client.FatalPartyException;
import dev.flotilla.party.client.PartyIdentity;
import dev.flotilla.protocol.tls.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** Starts the peer channel of {@code flotilla party} from its --peer-* flags and TLS files. */
public final class PeerChannels {
  private PeerChannels() {}

  /**
   * @param address what to announce, or null for {@code host:port}
   * @param host the name to answer to, or null for the party host of the certificate's identity
   * @throws FatalPartyException when the certificate is no party's or the port cannot be bound
   */
  public static PeerChannel start(int port, String address, String host, Path cert, Path key, Path ca) {
    Identity self = PartyIdentity.fromCertificateFile(cert).identity();
    TlsFiles files = new TlsFiles(cert, key, ca);
    String serverName = host != null ? host : self.partyHost();
    PeerEndpoint endpoint;
    PeerDialer dialer;
    try {
      dialer = new PeerDialer(files, self);
      endpoint = PeerEndpoint.start(new InetSocketAddress(port), files, self);
    } catch (IOException e) {
      throw new FatalPartyException(ExitCode.BAD_INPUT, "cannot serve the peer endpoint on --peer-port " + port + ": "
          + e.getMessage(), e);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new FatalPartyException(ExitCode.TLS, "cannot serve the peer endpoint with --cert " + cert + ": "
          + e.getMessage(), e);
    }
    return new PeerChannel(endpoint, address != null ? address : serverName + ":" + endpoint.port(), serverName, dialer);
  }
}
