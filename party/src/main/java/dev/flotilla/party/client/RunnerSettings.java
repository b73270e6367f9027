package dev.flotilla.party.client;

import java.time.Duration;

/**
 * How the party trains and how patient it is.
 *
 * @param model "mlp" or "cnn" when the person chose one (it must match the job's), else null
 * @param localEpochs epochs per round when the person chose them, else null (the server's suggestion, or 1)
 * @param batchSize SGD batch size
 * @param learningRate SGD learning rate
 * @param momentum SGD momentum
 * @param weightDecay SGD weight decay (L2)
 * @param seed seed of the partition and of the sample order
 * @param partitionIndex this party's part, mixed into the sample-order seed
 * @param deadlines per-call deadlines
 * @param initialBackoff first reconnect delay
 * @param maxBackoff longest reconnect delay
 * @param maxOutage how long the server may stay unreachable before the party gives up
 */
public record RunnerSettings(
    String model,
    Integer localEpochs,
    int batchSize,
    float learningRate,
    float momentum,
    float weightDecay,
    long seed,
    int partitionIndex,
    FederationSession.Deadlines deadlines,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration maxOutage) {}
