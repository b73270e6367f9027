package dev.flotilla.bench.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.party.data.FashionMnist;
import dev.flotilla.party.data.ImageDataset;
import dev.flotilla.party.train.Architecture;
import dev.flotilla.party.train.LocalModel;
import dev.flotilla.party.train.TrainingOptions;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.testing.RealServer;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SystemPython;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark compares like with like only if the Python reference trains a party's round the way the
 * party does. This drives both from the same initial model on the same samples: Flotilla's LocalModel
 * (DJL) and reference_common.train_local (PyTorch in Python: Debian's /usr/bin/python3 with python3-torch).
 */
@RequiresRealServers({RealServer.FASHION_MNIST, RealServer.PYTORCH})
class LocalTrainingParityIT {
  static final int SAMPLES = 1280; // 20 steps of 64
  static final long ORDER_SEED = 1234567;

  static final String PYTHON_ROUND = """
      import sys
      sys.path.insert(0, sys.argv[1])
      import torch, reference_common as rc
      data, initial, order_seed, samples, out = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
      rc.set_threads(1)
      x, y = rc.load_fashion_mnist(data, "train")
      model = rc.Cnn()
      model.load_state_dict(rc.load_initial_model(initial))
      rc.train_local(model, x, y, list(range(samples)), 1, 64, 0.01, 0.9, order_seed)
      torch.cat([t.flatten() for t in model.state_dict().values()]).numpy().astype("<f4").tofile(out)
      """;

  @Test
  @DisplayName("a party's local round in PyTorch/Python ends at the weights DJL reaches, and only with the party's sample order")
  void pythonRoundMatchesTheParty(@TempDir Path dir) throws Exception {
    ImageDataset train = FashionMnist.train(RealServer.fashionMnistDirectory()).head(SAMPLES);
    float[] initial = flatten(ModelSpecs.initialWeights("cnn", 42));
    float[] party;
    try (LocalModel model = LocalModel.create(Architecture.forName("cnn"), 42)) {
      model.setWeights(ModelSpecs.initialWeights("cnn", 42));
      party = flatten(model.train(train, new TrainingOptions(1, 64, 0.01f, 0.9f, 0f, ORDER_SEED)).weights());
    }
    Path initialFile = InitialModel.write(dir, "cnn", 42);

    float[] sameOrder = pythonRound(dir, initialFile, ORDER_SEED);
    float[] otherOrder = pythonRound(dir, initialFile, ORDER_SEED + 1);

    double moved = distance(party, initial);
    assertThat(moved).as("the round changes the weights").isGreaterThan(0.1);
    // float32 arithmetic in two PyTorch builds: equal up to rounding after 20 momentum steps
    assertThat(distance(sameOrder, party) / moved).as("same order: relative distance").isLessThan(1e-4);
    // another order is another round: the comparison above is sensitive to what the reference does
    assertThat(distance(otherOrder, party) / moved).as("other order: relative distance").isGreaterThan(0.05);
  }

  private static float[] pythonRound(Path dir, Path initialFile, long orderSeed) throws Exception {
    Path out = dir.resolve("python-" + orderSeed + ".f32");
    Path scripts = Path.of(System.getProperty("user.dir")).resolve("python").toAbsolutePath();
    SystemPython.run(dir, Duration.ofMinutes(5), "-c", PYTHON_ROUND, scripts.toString(),
        RealServer.fashionMnistDirectory().toString(), initialFile.toString(), Long.toString(orderSeed),
        Integer.toString(SAMPLES), out.toString()).requireSuccess();
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / Float.BYTES];
    bytes.asFloatBuffer().get(values);
    return values;
  }

  static float[] flatten(float[][] tensors) {
    int n = 0;
    for (float[] t : tensors) {
      n += t.length;
    }
    float[] flat = new float[n];
    int offset = 0;
    for (float[] t : tensors) {
      System.arraycopy(t, 0, flat, offset, t.length);
      offset += t.length;
    }
    return flat;
  }

  static double distance(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }
}
