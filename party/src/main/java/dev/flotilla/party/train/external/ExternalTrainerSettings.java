package dev.flotilla.party.train.external;

import dev.flotilla.party.train.TrainingOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the party runs a {@code --trainer-command}.
 *
 * @param command the command line, run by {@code /bin/sh -c} with round.json's path appended
 * @param timeout longest run of one action; then the process tree is killed and the round fails
 * @param workDir where round directories go, or null for a fresh temporary directory
 * @param data the party's --data, passed on in round.json
 * @param testData the party's --test-data, or null
 * @param partitionScheme --partition (iid, dirichlet:A, labels:K)
 * @param partitionIndex --partition-index
 * @param partitionCount --partition-count
 * @param partitionSeed --seed
 * @param maxSamples --max-samples, or null
 * @param evalSamples --eval-samples, or null
 * @param defaults training settings written for describe and evaluate (train writes the round's own)
 * @param secretFiles the TLS files (--ca, --cert, --key): environment variables naming them are not passed on
 */
public record ExternalTrainerSettings(
    String command,
    Duration timeout,
    Path workDir,
    Path data,
    Path testData,
    String partitionScheme,
    int partitionIndex,
    int partitionCount,
    long partitionSeed,
    Integer maxSamples,
    Integer evalSamples,
    TrainingOptions defaults,
    List<Path> secretFiles) {

  public ExternalTrainerSettings {
    Objects.requireNonNull(command, "command");
    if (command.isBlank()) {
      throw new IllegalArgumentException("the trainer command is empty");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("the trainer timeout must be positive, got " + timeout);
    }
    secretFiles = List.copyOf(secretFiles);
  }
}
