package dev.flotilla.party.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.flotilla.party.data.ImageDataset;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One model on DJL's PyTorch engine whose weights move in and out as {@code float[][]} in wire
 * order (tensor i = the i-th parameter of the block, flattened row-major). Not thread-safe: use it
 * from one thread, since PyTorch's autograd mode is per thread.
 */
public final class LocalModel implements AutoCloseable {
  /** DJL's PyTorch engine allows one gradient collector per JVM, so models in one JVM train in turn. */
  private static final ReentrantLock TRAINING = new ReentrantLock();

  private final Architecture architecture;
  private final Model model;
  private final Block block;
  private final List<Parameter> parameters;
  private final List<String> parameterNames;

  private LocalModel(Architecture architecture, Model model) {
    this.architecture = architecture;
    this.model = model;
    this.block = model.getBlock();
    List<Parameter> list = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Pair<String, Parameter> pair : block.getParameters()) {
      names.add(pair.getKey());
      list.add(pair.getValue());
    }
    this.parameters = List.copyOf(list);
    this.parameterNames = List.copyOf(names);
  }

  /** A model with DJL's default initialisation drawn from {@code seed}; set real weights with {@link #setWeights}. */
  public static LocalModel create(Architecture architecture, long seed) {
    Engine engine = PyTorchEngine.get();
    engine.setRandomSeed((int) seed);
    Model model = Model.newInstance(architecture.wireName(), Device.cpu(), engine.getEngineName());
    try {
      model.setBlock(architecture.newBlock());
      model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, architecture.inputShape(1));
      return new LocalModel(architecture, model);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  public Architecture architecture() {
    return architecture;
  }

  /** DJL's names of the parameters, in wire order (e.g. "01Linear_weight"), for logs and errors. */
  public List<String> parameterNames() {
    return parameterNames;
  }

  /** The shapes of the parameters, in wire order. */
  public List<long[]> parameterShapes() {
    return parameters.stream().map(p -> p.getArray().getShape().getShape()).toList();
  }

  /** Copies {@code weights} (one flattened array per tensor, wire order) into the parameters. */
  public void setWeights(float[][] weights) {
    if (weights.length != parameters.size()) {
      throw new IllegalArgumentException("model " + architecture.wireName() + " has " + parameters.size()
          + " tensors, got " + weights.length);
    }
    for (int i = 0; i < weights.length; i++) {
      NDArray array = parameters.get(i).getArray();
      long expected = array.getShape().size();
      if (weights[i].length != expected) {
        throw new IllegalArgumentException("tensor " + i + " (" + parameterNames.get(i) + ", shape "
            + array.getShape() + ") needs " + expected + " values, got " + weights[i].length);
      }
      array.set(FloatBuffer.wrap(weights[i]));
    }
  }

  /** A copy of the current weights, one flattened array per tensor in wire order. */
  public float[][] weights() {
    float[][] weights = new float[parameters.size()][];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = parameters.get(i).getArray().toFloatArray();
    }
    return weights;
  }

  /**
   * Trains from the current weights with SGD and returns the trained weights. With
   * {@code proximalMu > 0} the starting weights are the FedProx anchor w_global.
   */
  public TrainResult train(ImageDataset data, TrainingOptions options) {
    if (data.size() == 0) {
      throw new IllegalArgumentException("no training samples");
    }
    Loss loss = Loss.softmaxCrossEntropyLoss();
    Optimizer sgd = Optimizer.sgd()
        .setLearningRateTracker(Tracker.fixed(options.learningRate()))
        .optMomentum(options.momentum())
        .build();
    DefaultTrainingConfig config = new DefaultTrainingConfig(loss)
        .optOptimizer(sgd)
        .optDevices(new Device[] {Device.cpu()});
    Random order = new Random(options.shuffleSeed());
    int pixels = data.pixelsPerImage();
    int steps = 0;
    double lastEpochLossSum = 0;
    TRAINING.lock();
    try (NDManager roundManager = model.getNDManager().newSubManager();
        Trainer trainer = model.newTrainer(config)) {
      List<NDArray> anchor = new ArrayList<>();
      if (options.proximalMu() > 0) {
        for (Parameter parameter : parameters) {
          NDArray copy = parameter.getArray().duplicate();
          copy.attach(roundManager);
          copy.setRequiresGradient(false);
          anchor.add(copy);
        }
      }
      int[] indices = new int[data.size()];
      Arrays.setAll(indices, i -> i);
      float[] batchPixels = new float[options.batchSize() * pixels];
      float[] batchLabels = new float[options.batchSize()];
      for (int epoch = 0; epoch < options.epochs(); epoch++) {
        shuffle(indices, order);
        lastEpochLossSum = 0;
        for (int start = 0; start < indices.length; start += options.batchSize()) {
          int size = Math.min(options.batchSize(), indices.length - start);
          for (int b = 0; b < size; b++) {
            data.copyScaled(indices[start + b], batchPixels, b * pixels);
            batchLabels[b] = data.label(indices[start + b]);
          }
          try (NDManager batch = roundManager.newSubManager()) {
            NDArray x = batch.create(FloatBuffer.wrap(batchPixels, 0, size * pixels), architecture.inputShape(size));
            NDArray y = batch.create(Arrays.copyOf(batchLabels, size));
            try (GradientCollector collector = trainer.newGradientCollector()) {
              NDArray logits = trainer.forward(new NDList(x)).singletonOrThrow();
              NDArray crossEntropy = loss.evaluate(new NDList(y), new NDList(logits));
              lastEpochLossSum += crossEntropy.getFloat() * size;
              NDArray objective = crossEntropy;
              if (!anchor.isEmpty()) {
                objective = objective.add(proximalTerm(anchor, batch, options.proximalMu()));
              }
              collector.backward(objective);
            }
            trainer.step();
            steps++;
          }
        }
      }
    } finally {
      TRAINING.unlock();
    }
    return new TrainResult(weights(), lastEpochLossSum / data.size(), data.size(), steps);
  }

  /** mu/2 * sum_i ||w_i - anchor_i||^2, with every intermediate freed with the batch. */
  private NDArray proximalTerm(List<NDArray> anchor, NDManager batch, float mu) {
    NDArray sum = null;
    for (int i = 0; i < parameters.size(); i++) {
      NDArray difference = parameters.get(i).getArray().sub(anchor.get(i));
      difference.attach(batch);
      NDArray squared = difference.square().sum();
      sum = sum == null ? squared : sum.add(squared);
    }
    return sum.mul(mu / 2f);
  }

  /** Mean cross-entropy and accuracy of the current weights on {@code data}. */
  public Evaluation evaluate(ImageDataset data, int batchSize) {
    if (data.size() == 0) {
      throw new IllegalArgumentException("no evaluation samples");
    }
    int pixels = data.pixelsPerImage();
    int batchLimit = Math.max(1, batchSize);
    float[] batchPixels = new float[batchLimit * pixels];
    float[] batchLabels = new float[batchLimit];
    Loss loss = Loss.softmaxCrossEntropyLoss();
    double lossSum = 0;
    long correct = 0;
    try (NDManager evaluation = model.getNDManager().newSubManager()) {
      ParameterStore store = new ParameterStore(evaluation, false);
      for (int start = 0; start < data.size(); start += batchLimit) {
        int size = Math.min(batchLimit, data.size() - start);
        for (int b = 0; b < size; b++) {
          data.copyScaled(start + b, batchPixels, b * pixels);
          batchLabels[b] = data.label(start + b);
        }
        try (NDManager batch = evaluation.newSubManager()) {
          NDArray x = batch.create(FloatBuffer.wrap(batchPixels, 0, size * pixels), architecture.inputShape(size));
          NDArray y = batch.create(Arrays.copyOf(batchLabels, size));
          NDArray logits = block.forward(store, new NDList(x), false).singletonOrThrow();
          lossSum += loss.evaluate(new NDList(y), new NDList(logits)).getFloat() * size;
          long[] predicted = logits.argMax(1).toLongArray();
          for (int b = 0; b < size; b++) {
            if (predicted[b] == (long) batchLabels[b]) {
              correct++;
            }
          }
        }
      }
    }
    return new Evaluation(lossSum / data.size(), (double) correct / data.size(), data.size());
  }

  private static void shuffle(int[] values, Random random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /** The input shape the model expects for a batch of {@code size} images. */
  public Shape inputShape(int size) {
    return architecture.inputShape(size);
  }

  @Override
  public void close() {
    model.close();
  }
}
