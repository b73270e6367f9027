package dev.flotilla.protocol.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ModelSpecsTest {

  @Test
  @DisplayName("the mlp layout is 784-200-200-10 with 199,210 parameters in the contract's order")
  void mlpLayout() {
    List<TensorSpec> mlp = ModelSpecs.forName("mlp");
    assertThat(mlp).extracting(TensorSpec::name)
        .containsExactly("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias");
    assertThat(mlp.get(0).shape()).containsExactly(200, 784);
    assertThat(ModelSpecs.totalElements(mlp)).isEqualTo(200 * 784 + 200 + 200 * 200 + 200 + 10 * 200 + 10);
  }

  @Test
  @DisplayName("the cnn layout is LeNet-style 6 and 16 channels, kernel 5, then 256-120-84-10")
  void cnnLayout() {
    List<TensorSpec> cnn = ModelSpecs.forName("cnn");
    assertThat(cnn).hasSize(10);
    assertThat(cnn.get(2).shape()).containsExactly(16, 6, 5, 5);
    assertThat(cnn.get(4).shape()).containsExactly(120, 256);
    assertThat(ModelSpecs.totalElements(cnn))
        .isEqualTo(150 + 6 + 2400 + 16 + 30720 + 120 + 10080 + 84 + 840 + 10);
  }

  @Test
  @DisplayName("an unknown model name is refused with the list of known names")
  void unknownModel() {
    assertThatThrownBy(() -> ModelSpecs.forName("resnet"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resnet").hasMessageContaining("mlp");
  }

  @Test
  @DisplayName("initial weights are the same for the same seed, different for another, He-uniform bounded, zero biases")
  void initialWeights() {
    float[][] a = ModelSpecs.initialWeights("cnn", 42);
    float[][] b = ModelSpecs.initialWeights("cnn", 42);
    float[][] c = ModelSpecs.initialWeights("cnn", 43);
    assertThat(a).isDeepEqualTo(b);
    assertThat(a[0]).isNotEqualTo(c[0]);
    List<TensorSpec> specs = ModelSpecs.forName("cnn");
    for (int t = 0; t < specs.size(); t++) {
      assertThat(a[t]).hasSize(specs.get(t).numElements());
      if (specs.get(t).shape().length == 1) {
        assertThat(a[t]).containsOnly(0f);
      } else {
        float bound = (float) Math.sqrt(6.0 / specs.get(t).fanIn());
        for (float v : a[t]) {
          assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        }
        // a uniform draw on [-b, b] has variance b^2/3
        double var = 0;
        for (float v : a[t]) {
          var += v * v;
        }
        var /= a[t].length;
        assertThat(var).isCloseTo(bound * bound / 3, org.assertj.core.data.Percentage.withPercentage(25));
      }
    }
  }

  @Test
  @DisplayName("mlp:IN-H1-...-OUT gives fc1..fcN of [out, in] with biases; plain mlp is mlp:784-200-200-10")
  void parameterisedMlp() {
    List<TensorSpec> small = ModelSpecs.forName("mlp:30-64-2");
    assertThat(small).containsExactly(
        new TensorSpec("fc1.weight", new long[] {64, 30}), new TensorSpec("fc1.bias", new long[] {64}),
        new TensorSpec("fc2.weight", new long[] {2, 64}), new TensorSpec("fc2.bias", new long[] {2}));
    assertThat(ModelSpecs.forName("mlp:784-200-200-10")).isEqualTo(ModelSpecs.forName("mlp"));
    assertThat(ModelSpecs.forName("mlp:13-1")).containsExactly(
        new TensorSpec("fc1.weight", new long[] {1, 13}), new TensorSpec("fc1.bias", new long[] {1}));
    assertThat(ModelSpecs.isBuiltIn("mlp:4-8-8-3")).isTrue();
    assertThat(ModelSpecs.initialWeights("mlp:30-64-2", 1)[0]).hasSize(64 * 30);
  }

  @Test
  @DisplayName("malformed mlp specs are refused naming the spec and the bad size")
  void malformedMlp() {
    assertThatThrownBy(() -> ModelSpecs.forName("mlp:30")).hasMessageContaining("mlp:30")
        .hasMessageContaining("IN-H1-...-OUT");
    assertThatThrownBy(() -> ModelSpecs.forName("mlp:30-0-2")).hasMessageContaining("'0'");
    assertThatThrownBy(() -> ModelSpecs.forName("mlp:30-x-2")).hasMessageContaining("'x'");
    assertThatThrownBy(() -> ModelSpecs.forName("mlp:30--2")).hasMessageContaining("''");
    assertThatThrownBy(() -> ModelSpecs.forName("mlp:+30-2")).hasMessageContaining("'+30'");
    assertThatThrownBy(() -> ModelSpecs.forName("mlp:1048576-1048576")).hasMessageContaining("2^31 - 1");
    assertThat(ModelSpecs.isBuiltIn("mlp:")).isFalse();
    assertThat(ModelSpecs.isBuiltIn("MLP")).isFalse();
  }

  @Test
  @DisplayName("each built-in states the shape of one input sample")
  void inputShapes() {
    assertThat(ModelSpecs.inputShape("mlp")).containsExactly(784);
    assertThat(ModelSpecs.inputShape("mlp:30-64-2")).containsExactly(30);
    assertThat(ModelSpecs.inputShape("cnn")).containsExactly(1, 28, 28);
    assertThatThrownBy(() -> ModelSpecs.inputShape("lenet")).hasMessageContaining("lenet");
  }
}
