package dev.flotilla.party.train;

import dev.flotilla.protocol.model.TensorSpec;
import java.util.List;

/**
 * What trains the job's model on this party's data: the built-in DJL models, a TorchScript module
 * in DJL, or an external command. The party's runner hands it the global model of each round as
 * {@code float[][]} in the job's layout order and sends back what it returns; the trainer never
 * talks to the server.
 */
public interface LocalTrainer extends AutoCloseable {

  /** What trains and on which data, for the party's first log line. */
  String description();

  /**
   * The number of training samples, announced in Join. An external trainer runs its "describe"
   * action for it (once).
   *
   * @throws TrainerException when the trainer cannot tell
   */
  int trainingSamples(RoundContext context);

  /**
   * Gets ready for the job's model before its first round.
   *
   * @param model the built-in name the job reports, or "" for a model that came from a file
   * @param layout the job's tensors in wire order
   * @throws IllegalArgumentException when this trainer cannot train that model on its data; the message says why
   */
  void prepare(String model, List<TensorSpec> layout);

  /**
   * The quality of {@code global} on the party's test data.
   *
   * @throws TrainerException when this round fails for this party
   */
  Evaluation evaluate(RoundContext round, float[][] global);

  /**
   * Evaluates {@code global} on the test data, then trains it on the training data.
   *
   * @return the update: the full layout, the training samples, metrics of the global model plus "train_loss"
   * @throws TrainerException when this round fails for this party
   */
  LocalUpdate train(RoundContext round, float[][] global, TrainingOptions options);

  /** Whether {@link #train} adds {@link TrainingOptions#correction()} to its gradients (SCAFFOLD needs it). */
  default boolean appliesCorrection() {
    return false;
  }

  @Override
  void close();
}
