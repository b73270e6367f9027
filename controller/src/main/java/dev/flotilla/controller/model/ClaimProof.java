package dev.flotilla.controller.model;

import dev.flotilla.controller.api.IflearnerJob;
import dev.flotilla.controller.api.IflearnerJobStatus;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Whether a job's status.claims are what this controller wrote. status.claimsProof is {@code <since> <mac>}: when the
 * controller granted the list, and an HMAC-SHA256 over the job's uid, that time and the list under the controller's key
 * (Secret {@code flotilla-claims-key} in its own namespace, which no tenant reads). A tenant that may write its job's
 * status can drop what it holds, not claim more: a list it wrote carries no valid mac, and one copied from another job
 * names another uid. What it can replay is a list of its own job from before it let a name go; a job that took the name
 * since was granted it later, and of two jobs proven to hold one name the later grant keeps it
 * ({@link PodHostClaims}). Pure.
 */
public final class ClaimProof {
  /** What a job holds, proven: its claims and when they were granted. */
  public record Held(List<String> names, Instant since) {}

  /** Proves nothing and verifies nothing: every job holds nothing (where holdings do not matter). */
  public static final ClaimProof NONE = new ClaimProof(null);

  private static final String ALGORITHM = "HmacSHA256";
  private final SecretKeySpec key;

  /** @param key the controller's secret key (at least 32 bytes) */
  public static ClaimProof withKey(byte[] key) {
    if (key == null || key.length < 32) {
      throw new IllegalArgumentException("a claims key is at least 32 bytes");
    }
    return new ClaimProof(key);
  }

  private ClaimProof(byte[] key) {
    this.key = key == null ? null : new SecretKeySpec(key, ALGORITHM);
  }

  /** status.claimsProof for {@code claims} of the job with {@code uid}, granted at {@code since}. */
  public String proof(String uid, List<String> claims, Instant since) {
    if (key == null) {
      throw new IllegalStateException("no claims key");
    }
    return since + " " + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(uid, claims, since));
  }

  /** What {@code job}'s status proves it holds; empty without claims, without a proof, or with one that does not verify. */
  public Optional<Held> held(IflearnerJob job) {
    IflearnerJobStatus status = job.getStatus();
    if (key == null || status == null || status.getClaims() == null || status.getClaims().isEmpty()
        || status.getClaimsProof() == null || job.getMetadata().getUid() == null
        || status.getClaims().stream().anyMatch(c -> c == null || c.indexOf('\n') >= 0)) {
      return Optional.empty();
    }
    String[] parts = status.getClaimsProof().split(" ");
    if (parts.length != 2) {
      return Optional.empty();
    }
    try {
      Instant since = Instant.parse(parts[0]);
      byte[] presented = Base64.getUrlDecoder().decode(parts[1]);
      byte[] expected = mac(job.getMetadata().getUid(), status.getClaims(), since);
      return MessageDigest.isEqual(presented, expected) ? Optional.of(new Held(List.copyOf(status.getClaims()), since))
          : Optional.empty();
    } catch (DateTimeParseException | IllegalArgumentException e) {
      return Optional.empty(); // not a proof this controller wrote
    }
  }

  private byte[] mac(String uid, List<String> claims, Instant since) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      // uid, time and each claim on a line of its own; a claim holding a newline is never verified, so no two inputs read alike
      mac.update((uid + "\n" + since + "\n" + String.join("\n", claims)).getBytes(StandardCharsets.UTF_8));
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is unavailable: " + e.getMessage(), e);
    }
  }
}
