package dev.flotilla.controller.enroll;

import dev.flotilla.certs.Identity;
import dev.flotilla.certs.enroll.EnrollmentToken;
import java.time.Instant;

/**
 * What one enrollment token allows, as the coordinator keeps it: the token's id and the SHA-256 of its
 * secret (never the secret), the federation (trust domain) and the job namespace whose CA signs, the
 * job and the organisation the certificate will name, when it expires and how many uses are left.
 */
public record TokenGrant(String id, String secretSha256, String domain, String namespace, String job,
    String organisation, Instant expires, int uses, int used) {

  public static final int MAX_USES = 1000;

  public TokenGrant {
    // validates domain, job and organisation as an identity's parts
    Identity.party(domain, job, organisation);
    if (uses < 1 || uses > MAX_USES) {
      throw new IllegalArgumentException("uses must be in 1.." + MAX_USES + ", got " + uses);
    }
    if (used < 0 || used > uses) {
      throw new IllegalArgumentException("used must be in 0.." + uses + ", got " + used);
    }
  }

  public static TokenGrant of(EnrollmentToken token, String domain, String namespace, String job, String organisation,
      Instant expires, int uses) {
    return new TokenGrant(token.id(), token.secretSha256(), domain, namespace, job, organisation, expires, uses, 0);
  }

  /** The identity a certificate enrolled with this token carries. */
  public Identity identity() {
    return Identity.party(domain, job, organisation);
  }

  /**
   * Refuses {@code presented} unless it is this grant's token (secret compared by hash, in constant
   * time), not expired at {@code now} and not used up. The refusals name the token by id only.
   */
  public void check(EnrollmentToken presented, Instant now) {
    checkUnexpired(presented, now);
    if (used >= uses) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "token " + id + " is used up (" + used + " of "
          + uses + " uses); ask the coordinator for a new one");
    }
  }

  /**
   * Refuses {@code presented} unless it is this grant's token, not expired at {@code now}, used up or not: what asking
   * again for a certificate this token's use already recorded needs.
   */
  public void checkUnexpired(EnrollmentToken presented, Instant now) {
    if (!presented.id().equals(id) || !presented.matches(secretSha256)) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "token " + presented.id() + " is not valid");
    }
    if (!now.isBefore(expires)) {
      throw new EnrollmentRefusal(EnrollmentRefusal.UNAUTHENTICATED, "token " + id + " expired at " + expires
          + "; ask the coordinator for a new one");
    }
  }

  /** This grant after one more use. */
  public TokenGrant afterUse() {
    return new TokenGrant(id, secretSha256, domain, namespace, job, organisation, expires, uses, used + 1);
  }
}
