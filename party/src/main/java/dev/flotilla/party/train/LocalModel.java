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
import dev.flotilla.party.data.Samples;
import dev.flotilla.party.data.Task;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One built-in model on DJL's PyTorch engine whose weights move in and out as {@code float[][]} in
 * the order of the job's layout (one flattened row-major array per tensor).
 *
 * <p>The block's parameters map by position onto the layout's floating-point tensors; integer
 * tensors (BatchNorm's {@code num_batches_tracked}) have no DJL parameter, so they are kept as they
 * came in and go back unchanged. {@link #create} checks that names line up by count and shape.
 *
 * <p>Classification trains with softmax cross-entropy and reports loss and accuracy; regression
 * (one output unit) trains with mean squared error and reports loss (MSE) and R². Not thread-safe:
 * use it from one thread, since PyTorch's autograd mode is per thread.
 */
public final class LocalModel implements AutoCloseable {
  /** DJL's PyTorch engine allows one gradient collector per JVM, so models in one JVM train in turn. */
  private static final ReentrantLock TRAINING = new ReentrantLock();

  private final String name;
  private final long[] sampleShape;
  private final List<TensorSpec> layout;
  private final Model model;
  private final Block block;
  private final List<Parameter> parameters;
  private final List<String> parameterNames;
  /** For each layout position, the index of its DJL parameter, or -1 for a tensor kept as it came in. */
  private final int[] parameterOf;
  private final float[][] keptValues;
  private final int outputUnits;

  private LocalModel(String name, long[] sampleShape, List<TensorSpec> layout, Model model, boolean byName) {
    this.name = name;
    this.sampleShape = sampleShape.clone();
    this.layout = List.copyOf(layout);
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
    this.parameterOf = byName ? mapByName(name, this.layout, parameters, parameterNames)
        : mapByPosition(name, this.layout, parameters, parameterNames);
    this.keptValues = new float[layout.size()][];
    for (int t = 0; t < layout.size(); t++) {
      if (parameterOf[t] < 0) {
        keptValues[t] = new float[layout.get(t).numElements()];
      }
    }
    this.outputUnits = probeOutputUnits();
  }

  /** Runs one sample of zeros through the block: checks that it takes the input and learns its output width. */
  private int probeOutputUnits() {
    try (NDManager probe = model.getNDManager().newSubManager()) {
      NDArray output = block.forward(new ParameterStore(probe, false), new NDList(probe.zeros(inputShape(1))), false)
          .singletonOrThrow();
      if (output.getShape().dimension() != 2) {
        throw new IllegalArgumentException("model " + name + " gives an output of shape " + output.getShape()
            + " for one sample of " + Arrays.toString(sampleShape) + "; expected [1, outputs]");
      }
      return Math.toIntExact(output.getShape().get(1));
    }
  }

  /** Maps the layout's floating-point tensors, in order, onto the block's parameters, checking shapes. */
  private static int[] mapByPosition(String model, List<TensorSpec> layout, List<Parameter> parameters,
      List<String> names) {
    int[] parameterOf = new int[layout.size()];
    int next = 0;
    for (int t = 0; t < layout.size(); t++) {
      TensorSpec spec = layout.get(t);
      if (spec.dtype().isInteger()) {
        parameterOf[t] = -1;
        continue;
      }
      if (next >= parameters.size()) {
        throw new IllegalArgumentException("model " + model + ": layout tensor " + spec
            + " has no DJL parameter (the block has " + parameters.size() + ")");
      }
      long[] shape = parameters.get(next).getArray().getShape().getShape();
      if (!Arrays.equals(shape, spec.shape())) {
        throw new IllegalArgumentException("model " + model + ": layout tensor " + t + " " + spec
            + " does not fit DJL parameter " + names.get(next) + " " + Arrays.toString(shape));
      }
      parameterOf[t] = next++;
    }
    if (next != parameters.size()) {
      throw new IllegalArgumentException("model " + model + ": DJL parameter " + names.get(next)
          + " has no tensor in the layout (" + layout.size() + " tensors)");
    }
    return parameterOf;
  }

  /**
   * Maps the layout's tensors onto the parameters of the same name (a TorchScript module's
   * {@code named_parameters()}), checking shapes; every parameter must be in the layout, and a
   * layout tensor without a parameter (a buffer, a counter) is kept as it came in.
   */
  private static int[] mapByName(String model, List<TensorSpec> layout, List<Parameter> parameters,
      List<String> names) {
    int[] parameterOf = new int[layout.size()];
    java.util.Set<String> mapped = new java.util.HashSet<>();
    for (int t = 0; t < layout.size(); t++) {
      TensorSpec spec = layout.get(t);
      int index = names.indexOf(spec.name());
      parameterOf[t] = index;
      if (index < 0) {
        continue;
      }
      long[] shape = parameters.get(index).getArray().getShape().getShape();
      if (!Arrays.equals(shape, spec.shape()) || spec.dtype().isInteger()) {
        throw new IllegalArgumentException(model + ": parameter '" + spec.name() + "' is " + Arrays.toString(shape)
            + " float, the job's model has " + spec.shapeString() + " " + spec.dtype().safetensorsName());
      }
      mapped.add(spec.name());
    }
    for (String parameter : names) {
      if (!mapped.contains(parameter)) {
        throw new IllegalArgumentException(model + ": parameter '" + parameter + "' is not in the job's model ("
            + layout.size() + " tensors)");
      }
    }
    return parameterOf;
  }

  /** The built-in model with its {@link ModelSpecs} layout. */
  public static LocalModel create(Architecture architecture, long seed) {
    return create(architecture, ModelSpecs.forName(architecture.name()), seed);
  }

  /**
   * A model with DJL's default initialisation drawn from {@code seed}, whose weights move in the
   * order of {@code layout}; set real weights with {@link #setWeights}.
   *
   * @throws IllegalArgumentException when the layout does not fit the block, naming the tensor
   */
  public static LocalModel create(Architecture architecture, List<TensorSpec> layout, long seed) {
    Engine engine = PyTorchEngine.get();
    engine.setRandomSeed((int) seed);
    Model model = Model.newInstance(architecture.name(), Device.cpu(), engine.getEngineName());
    try {
      model.setBlock(architecture.newBlock());
      model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, architecture.inputShape(1));
      return new LocalModel(architecture.name(), architecture.sampleShape(), layout, model, false);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * A TorchScript module ({@code torch.jit.script} or {@code trace}, saved with {@code .save})
   * loaded with trainable parameters; its {@code named_parameters()} map by name onto the layout.
   * Buffers (BatchNorm's running statistics) are not reachable through DJL: they stay as in the
   * file, evolve locally in training mode, and the layout's values for them go back unchanged.
   *
   * @param sampleShape the shape of one input sample, without the batch dimension
   * @throws IllegalArgumentException when the file is not a TorchScript module, its parameters do
   *     not fit the layout, or it does not take a batch of {@code sampleShape}
   */
  public static LocalModel loadTorchScript(Path file, long[] sampleShape, List<TensorSpec> layout) {
    Engine engine = PyTorchEngine.get();
    Path absolute = file.toAbsolutePath();
    Model model = Model.newInstance(absolute.getFileName().toString(), Device.cpu(), engine.getEngineName());
    try {
      model.load(absolute.getParent(), absolute.getFileName().toString(), Map.of("trainParam", "true"));
      return new LocalModel(absolute.toString(), sampleShape, layout, model, true);
    } catch (IOException | MalformedModelException | EngineException e) {
      model.close();
      throw new IllegalArgumentException("cannot load " + absolute + " as a TorchScript module: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** The built-in's name, or the TorchScript file. */
  public String name() {
    return name;
  }

  /** The layout tensors that have no parameter here and go back as they came in. */
  public List<TensorSpec> keptTensors() {
    List<TensorSpec> kept = new ArrayList<>();
    for (int t = 0; t < parameterOf.length; t++) {
      if (parameterOf[t] < 0) {
        kept.add(layout.get(t));
      }
    }
    return kept;
  }

  public List<TensorSpec> layout() {
    return layout;
  }

  /** DJL's names of the block's parameters, in block order (e.g. "01Linear_weight"), for logs and errors. */
  public List<String> parameterNames() {
    return parameterNames;
  }

  /** The shapes of the block's parameters, in block order. */
  public List<long[]> parameterShapes() {
    return parameters.stream().map(p -> p.getArray().getShape().getShape()).toList();
  }

  /** The DJL parameter name behind each layout tensor, or null for a tensor kept as it came in. */
  public List<String> parameterNamesByTensor() {
    List<String> names = new ArrayList<>();
    for (int index : parameterOf) {
      names.add(index < 0 ? null : parameterNames.get(index));
    }
    return names;
  }

  /** Output units of the model: classes of a classifier, 1 for a regression. */
  public int outputUnits() {
    return outputUnits;
  }

  /** Copies {@code weights} (one flattened array per layout tensor) into the model. */
  public void setWeights(float[][] weights) {
    if (weights.length != layout.size()) {
      throw new IllegalArgumentException("model " + name + " has " + layout.size()
          + " tensors, got " + weights.length);
    }
    for (int t = 0; t < weights.length; t++) {
      TensorSpec spec = layout.get(t);
      if (weights[t].length != spec.numElements()) {
        throw new IllegalArgumentException("tensor " + t + " (" + spec + ") needs " + spec.numElements()
            + " values, got " + weights[t].length);
      }
    }
    for (int t = 0; t < weights.length; t++) {
      if (parameterOf[t] < 0) {
        keptValues[t] = weights[t].clone();
      } else {
        parameters.get(parameterOf[t]).getArray().set(FloatBuffer.wrap(weights[t]));
      }
    }
  }

  /** A copy of the current weights, one flattened array per layout tensor. */
  public float[][] weights() {
    float[][] weights = new float[layout.size()][];
    for (int t = 0; t < weights.length; t++) {
      weights[t] = parameterOf[t] < 0 ? keptValues[t].clone() : parameters.get(parameterOf[t]).getArray().toFloatArray();
    }
    return weights;
  }

  /**
   * Trains from the current weights with SGD and returns the trained weights. With
   * {@code proximalMu > 0} the starting weights are the FedProx anchor w_global.
   *
   * @throws IllegalArgumentException when the samples do not fit the model (feature count, task, label range)
   */
  public TrainResult train(Samples data, TrainingOptions options) {
    if (data.size() == 0) {
      throw new IllegalArgumentException("no training samples");
    }
    Objective objective = objectiveFor(data);
    Optimizer sgd = Optimizer.sgd()
        .setLearningRateTracker(Tracker.fixed(options.learningRate()))
        .optMomentum(options.momentum())
        .optWeightDecays(options.weightDecay())
        .build();
    DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
        .optOptimizer(sgd)
        .optDevices(new Device[] {Device.cpu()});
    Random order = new Random(options.shuffleSeed());
    int features = data.featuresPerSample();
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
      List<NDArray> correction = correctionArrays(options.correction(), roundManager);
      int[] indices = new int[data.size()];
      Arrays.setAll(indices, i -> i);
      float[] batchFeatures = new float[options.batchSize() * features];
      float[] batchLabels = new float[options.batchSize()];
      for (int epoch = 0; epoch < options.epochs(); epoch++) {
        shuffle(indices, order);
        lastEpochLossSum = 0;
        for (int start = 0; start < indices.length; start += options.batchSize()) {
          int size = Math.min(options.batchSize(), indices.length - start);
          for (int b = 0; b < size; b++) {
            int index = indices[start + b];
            data.copyFeatures(index, batchFeatures, b * features);
            batchLabels[b] = objective.label(data, index);
          }
          try (NDManager batch = roundManager.newSubManager()) {
            NDArray x = batch.create(FloatBuffer.wrap(batchFeatures, 0, size * features), inputShape(size));
            NDArray y = batch.create(Arrays.copyOf(batchLabels, size));
            try (GradientCollector collector = trainer.newGradientCollector()) {
              NDArray output = trainer.forward(new NDList(x)).singletonOrThrow();
              NDArray loss = objective.loss(y, output);
              lastEpochLossSum += loss.getFloat() * size;
              NDArray total = loss;
              if (!anchor.isEmpty()) {
                total = total.add(proximalTerm(anchor, batch, options.proximalMu()));
              }
              if (!correction.isEmpty()) {
                total = total.add(correctionTerm(correction, batch));
              }
              collector.backward(total);
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

  /** SCAFFOLD's c - c_i per parameter (null where a parameter is not trained), or empty without a correction. */
  private List<NDArray> correctionArrays(float[][] correction, NDManager manager) {
    if (correction == null) {
      return List.of();
    }
    if (correction.length != layout.size()) {
      throw new IllegalArgumentException("the gradient correction has " + correction.length + " tensors; the model has "
          + layout.size());
    }
    List<NDArray> arrays = new ArrayList<>(java.util.Collections.nCopies(parameters.size(), (NDArray) null));
    for (int t = 0; t < layout.size(); t++) {
      int p = parameterOf[t];
      if (p >= 0 && parameters.get(p).requiresGradient()) {
        NDArray c = manager.create(correction[t], parameters.get(p).getArray().getShape());
        c.setRequiresGradient(false);
        arrays.set(p, c);
      }
    }
    return arrays;
  }

  /** sum_i <w_i, correction_i>: its gradient adds the correction to every trained parameter's gradient. */
  private NDArray correctionTerm(List<NDArray> correction, NDManager batch) {
    NDArray sum = null;
    for (int i = 0; i < parameters.size(); i++) {
      if (correction.get(i) == null) {
        continue;
      }
      NDArray product = parameters.get(i).getArray().mul(correction.get(i));
      product.attach(batch); // freed with the batch, like every intermediate
      NDArray term = product.sum();
      sum = sum == null ? term : sum.add(term);
    }
    return sum;
  }

  /** mu/2 * sum_i ||w_i - anchor_i||^2 over the trained parameters, every intermediate freed with the batch. */
  private NDArray proximalTerm(List<NDArray> anchor, NDManager batch, float mu) {
    NDArray sum = null;
    for (int i = 0; i < parameters.size(); i++) {
      if (!parameters.get(i).requiresGradient()) {
        continue; // running statistics are not trained
      }
      NDArray difference = parameters.get(i).getArray().sub(anchor.get(i));
      difference.attach(batch);
      NDArray squared = difference.square().sum();
      sum = sum == null ? squared : sum.add(squared);
    }
    return sum.mul(mu / 2f);
  }

  /**
   * The model's quality on {@code data}: mean cross-entropy and accuracy for classification, mean
   * squared error and R² for regression.
   */
  public Evaluation evaluate(Samples data, int batchSize) {
    if (data.size() == 0) {
      throw new IllegalArgumentException("no evaluation samples");
    }
    Objective objective = objectiveFor(data);
    int features = data.featuresPerSample();
    int batchLimit = Math.max(1, batchSize);
    float[] batchFeatures = new float[batchLimit * features];
    float[] batchLabels = new float[batchLimit];
    double lossSum = 0;
    long correct = 0;
    double labelSum = 0;
    double labelSquares = 0;
    try (NDManager evaluation = model.getNDManager().newSubManager()) {
      ParameterStore store = new ParameterStore(evaluation, false);
      for (int start = 0; start < data.size(); start += batchLimit) {
        int size = Math.min(batchLimit, data.size() - start);
        for (int b = 0; b < size; b++) {
          data.copyFeatures(start + b, batchFeatures, b * features);
          batchLabels[b] = objective.label(data, start + b);
          labelSum += batchLabels[b];
          labelSquares += (double) batchLabels[b] * batchLabels[b];
        }
        try (NDManager batch = evaluation.newSubManager()) {
          NDArray x = batch.create(FloatBuffer.wrap(batchFeatures, 0, size * features), inputShape(size));
          NDArray y = batch.create(Arrays.copyOf(batchLabels, size));
          NDArray output = block.forward(store, new NDList(x), false).singletonOrThrow();
          lossSum += objective.loss(y, output).getFloat() * size;
          if (objective == Objective.CLASSIFICATION) {
            long[] predicted = output.argMax(1).toLongArray();
            for (int b = 0; b < size; b++) {
              if (predicted[b] == (long) batchLabels[b]) {
                correct++;
              }
            }
          }
        }
      }
    }
    int n = data.size();
    if (objective == Objective.CLASSIFICATION) {
      return Evaluation.classification(lossSum / n, (double) correct / n, n);
    }
    double squaredErrors = lossSum;
    double totalSquares = labelSquares - labelSum * labelSum / n;
    return Evaluation.regression(squaredErrors / n, r2(squaredErrors, totalSquares), n);
  }

  /** The model's outputs (logits, or the regression's prediction) for every sample, in inference mode. */
  public float[][] predict(Samples data, int batchSize) {
    if (data.featuresPerSample() != featuresPerSample()) {
      objectiveFor(data); // throws, naming both shapes
    }
    int features = data.featuresPerSample();
    int batchLimit = Math.max(1, batchSize);
    float[] batchFeatures = new float[batchLimit * features];
    float[][] outputs = new float[data.size()][];
    try (NDManager prediction = model.getNDManager().newSubManager()) {
      ParameterStore store = new ParameterStore(prediction, false);
      for (int start = 0; start < data.size(); start += batchLimit) {
        int size = Math.min(batchLimit, data.size() - start);
        for (int b = 0; b < size; b++) {
          data.copyFeatures(start + b, batchFeatures, b * features);
        }
        try (NDManager batch = prediction.newSubManager()) {
          NDArray x = batch.create(FloatBuffer.wrap(batchFeatures, 0, size * features), inputShape(size));
          float[] flat = block.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
          for (int b = 0; b < size; b++) {
            outputs[start + b] = Arrays.copyOfRange(flat, b * outputUnits, (b + 1) * outputUnits);
          }
        }
      }
    }
    return outputs;
  }

  /** 1 - SSE/SST; as scikit-learn, 1 for a perfect fit of constant labels and 0 for an imperfect one. */
  static double r2(double squaredErrors, double totalSquares) {
    if (totalSquares <= 1e-12) {
      return squaredErrors <= 1e-12 ? 1 : 0;
    }
    return 1 - squaredErrors / totalSquares;
  }

  /** How labels become a loss, by task. */
  private enum Objective {
    CLASSIFICATION {
      @Override
      NDArray loss(NDArray labels, NDArray output) {
        return SOFTMAX_CROSS_ENTROPY.evaluate(new NDList(labels), new NDList(output));
      }
    },
    REGRESSION {
      @Override
      NDArray loss(NDArray labels, NDArray output) {
        return output.reshape(labels.getShape()).sub(labels).square().mean();
      }
    };

    private static final Loss SOFTMAX_CROSS_ENTROPY = Loss.softmaxCrossEntropyLoss();

    abstract NDArray loss(NDArray labels, NDArray output);

    float label(Samples data, int index) {
      return this == CLASSIFICATION ? data.classOf(index) : data.label(index);
    }
  }

  /**
   * Checks that {@code data} fits this model: its feature count, and its task (a regression needs
   * one output unit, a classification no more classes than outputs).
   *
   * @throws IllegalArgumentException saying what does not fit
   */
  public void requireFits(Samples data) {
    objectiveFor(data);
  }

  /** Checks that {@code data} fits this model and picks the loss of its task. */
  private Objective objectiveFor(Samples data) {
    if (data.featuresPerSample() != featuresPerSample()) {
      throw new IllegalArgumentException("model " + name + " takes " + featuresPerSample()
          + " features per sample " + Arrays.toString(sampleShape) + ", the data has "
          + data.featuresPerSample() + " " + Arrays.toString(data.sampleShape()));
    }
    Task task = data.task();
    if (task instanceof Task.Regression) {
      if (outputUnits != 1) {
        throw new IllegalArgumentException("model " + name + " has " + outputUnits
            + " outputs; a regression task needs a model with one output unit (e.g. mlp:IN-...-1)");
      }
      return Objective.REGRESSION;
    }
    int classes = ((Task.Classification) task).classes();
    if (classes > outputUnits) {
      throw new IllegalArgumentException("model " + name + " has " + outputUnits
          + " outputs, the data has " + classes + " classes");
    }
    return Objective.CLASSIFICATION;
  }

  private static void shuffle(int[] values, Random random) {
    for (int i = values.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /** The input shape the model expects for a batch of {@code size} samples. */
  public Shape inputShape(long size) {
    long[] dims = new long[sampleShape.length + 1];
    dims[0] = size;
    System.arraycopy(sampleShape, 0, dims, 1, sampleShape.length);
    return new Shape(dims);
  }

  private int featuresPerSample() {
    long n = 1;
    for (long d : sampleShape) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  @Override
  public void close() {
    model.close();
  }
}
