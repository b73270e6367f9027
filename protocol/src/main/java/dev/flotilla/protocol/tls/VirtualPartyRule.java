package dev.flotilla.protocol.tls;

import dev.flotilla.certs.Identity;
import dev.flotilla.protocol.tls.PeerIdentityInterceptor.Decision;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * Who a virtual-party host's call acts as. A host (one party pod running many parties of a study) holds
 * a certificate naming its count, {@code .../party/<host>/virtual/<count>}, and names on every call the
 * virtual party it acts for in the {@value #HEADER_NAME} header. The call is admitted as that party only
 * when the certificate covers the name ({@code <host>-v<i>}, i below the count) and the count is within the
 * aggregator's {@code --virtual-parties-per-host}; the host never acts as itself. A party whose certificate
 * hosts no virtual parties may not send the header. Refusals are PERMISSION_DENIED and say why.
 */
public final class VirtualPartyRule {

  public static final String HEADER_NAME = "x-flotilla-virtual-party";
  static final Metadata.Key<String> HEADER = Metadata.Key.of(HEADER_NAME, Metadata.ASCII_STRING_MARSHALLER);
  /** A party name is a DNS label; a longer header is not one and is not echoed in full. */
  private static final int MAX_NAME = 63;

  private final int perHost;

  private VirtualPartyRule(int perHost) {
    if (perHost < 0 || perHost > Identity.MAX_VIRTUAL_PARTIES) {
      throw new IllegalArgumentException("virtual parties per host must be in 0.." + Identity.MAX_VIRTUAL_PARTIES
          + ", got " + perHost);
    }
    this.perHost = perHost;
  }

  /** Admits no virtual-party host. */
  static VirtualPartyRule none() {
    return new VirtualPartyRule(0);
  }

  static VirtualPartyRule upTo(int perHost) {
    return new VirtualPartyRule(perHost);
  }

  /** The decision for a call whose identity {@code admitted} decided, with its {@value #HEADER_NAME} header (or null). */
  Decision apply(Decision admitted, String named) {
    if (admitted.refusal() != null) {
      return admitted;
    }
    PeerIdentity caller = admitted.caller();
    Identity identity = caller.identity();
    if (!identity.isVirtualPartyHost()) {
      return named == null ? admitted : Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " named virtual party '"
          + shown(named) + "' in the " + HEADER_NAME + " header, but its certificate hosts no virtual parties");
    }
    if (perHost == 0) {
      return Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " is a virtual-party host; this aggregator "
          + "admits none (server --virtual-parties-per-host is 0)");
    }
    if (identity.virtualParties() > perHost) {
      return Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " declares " + identity.virtualParties()
          + " virtual parties, more than this aggregator's --virtual-parties-per-host " + perHost);
    }
    if (named == null || named.isEmpty()) {
      return Decision.refuse(Status.PERMISSION_DENIED, "peer " + caller + " is a virtual-party host and acts only as "
          + "one of its virtual parties: name it in the " + HEADER_NAME + " header");
    }
    if (!identity.coversVirtualParty(named)) {
      return Decision.refuse(Status.PERMISSION_DENIED, "virtual party '" + shown(named) + "' is not covered by the "
          + "certificate of " + caller + ", which covers " + Identity.virtualPartyName(identity.name(), 0) + " .. "
          + Identity.virtualPartyName(identity.name(), identity.virtualParties() - 1) + " only");
    }
    return new Decision(PeerIdentity.virtualParty(caller, named), null);
  }

  /** Hostile input goes into messages: cut short, printable ASCII only. */
  private static String shown(String value) {
    String cut = value.length() > MAX_NAME ? value.substring(0, MAX_NAME) + "..." : value;
    StringBuilder out = new StringBuilder(cut.length());
    cut.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f && c != '\'' ? String.valueOf((char) c) : "?"));
    return out.toString();
  }
}
