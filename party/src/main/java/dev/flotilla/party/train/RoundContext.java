package dev.flotilla.party.train;

/**
 * Which round of which job a trainer works for; every log line and error of a trainer names it.
 *
 * @param job the job id
 * @param party this party's name
 * @param round the round (0 before the first one, e.g. for "describe")
 * @param attempt the server's attempt at this round, from 1
 * @param modelVersion the version of the global model handed in (0 when there is none)
 */
public record RoundContext(String job, String party, int round, int attempt, long modelVersion) {

  /** The context of a call before any round, e.g. the sample count announced in Join. */
  public static RoundContext beforeRounds(String job, String party) {
    return new RoundContext(job, party, 0, 1, 0);
  }

  /** "[job fmnist, party alice, round 3]" for log lines and messages. */
  public String describe() {
    return "[job " + job + ", party " + party + ", round " + round + (attempt > 1 ? " attempt " + attempt : "") + "]";
  }
}
