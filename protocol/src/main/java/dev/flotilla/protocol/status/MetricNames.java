package dev.flotilla.protocol.status;

/**
 * The metric names parties report (in an update's header and in the final evaluation) and the
 * server, the status file, the demo and the benchmarks read. Defined once here; the PyTorch example
 * ({@code examples/pytorch/flotilla_trainer.py}) writes the same strings.
 */
public final class MetricNames {

  /** Fraction of the party's test samples the evaluated model classifies correctly, in [0, 1]. */
  public static final String ACCURACY = "accuracy";
  /** Loss of the evaluated model on the party's test data. */
  public static final String LOSS = "loss";
  /** Mean training loss of the party's local training in this round. */
  public static final String TRAIN_LOSS = "train_loss";
  /** Coefficient of determination of a regression model on the party's test data, at most 1. */
  public static final String R2 = "r2";
  /** Samples an evaluation covered (in a final evaluation's metrics). */
  public static final String NUM_SAMPLES = "num_samples";
  /** Seconds the party spent training the global model in this round, measured by the party. */
  public static final String TRAIN_SECONDS = "train_seconds";
  /** Seconds the party spent evaluating the received global model in this round, measured by the party. */
  public static final String EVAL_SECONDS = "eval_seconds";

  /** SGD steps the party's local training took in this round (FedNova's tau_i), a whole number >= 1. */
  public static final String LOCAL_STEPS = "local_steps";
  /** The momentum of the party's local SGD (FedNova normalises its steps by it), in [0, 1). */
  public static final String SGD_MOMENTUM = "sgd_momentum";

  private MetricNames() {}
}
