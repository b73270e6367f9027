package dev.flotilla.examples;

import static dev.flotilla.testing.RealServer.PYTORCH;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.flotilla.protocol.model.ModelSpecs;
import dev.flotilla.protocol.model.TensorSpec;
import dev.flotilla.testing.RequiresRealServers;
import dev.flotilla.testing.SystemPython;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The PyTorch modules of fashion_mnist.py have exactly the tensors of the built-in layouts (names,
 * shapes, dtypes, in order), so a global model of a built-in job loads with strict=True.
 */
@RequiresRealServers(PYTORCH)
class ExampleModelsIT {

  private static final String PRINT_STATE_DICT = String.join("\n",
      "import json, sys",
      "import fashion_mnist",
      "names = {'torch.float32': 'F32', 'torch.float16': 'F16', 'torch.bfloat16': 'BF16', 'torch.float64': 'F64',",
      "         'torch.int64': 'I64', 'torch.int32': 'I32'}",
      "state = fashion_mnist.build_model(sys.argv[1]).state_dict()",
      "print(json.dumps([[k, list(v.shape), names[str(v.dtype)]] for k, v in state.items()]))");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mlp", "cnn", "mlp:784-64-32-10"})
  @DisplayName("the example's module has the built-in layout's tensor names, shapes and dtypes, in order")
  void stateDictMatchesTheBuiltInLayout(String model) {
    String output = SystemPython.run(PyTorchExample.DIRECTORY, Duration.ofMinutes(2), "-c", PRINT_STATE_DICT, model)
        .requireSuccess();

    List<String> python = new ArrayList<>();
    for (JsonElement tensor : JsonParser.parseString(output.strip()).getAsJsonArray()) {
      JsonArray entry = tensor.getAsJsonArray();
      long[] shape = new long[entry.get(1).getAsJsonArray().size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = entry.get(1).getAsJsonArray().get(i).getAsLong();
      }
      python.add(entry.get(0).getAsString() + " " + Arrays.toString(shape) + " " + entry.get(2).getAsString());
    }
    List<String> builtIn = ModelSpecs.forName(model).stream().map(ExampleModelsIT::describe).toList();

    assertThat(python).containsExactlyElementsOf(builtIn);
  }

  private static String describe(TensorSpec spec) {
    return spec.name() + " " + Arrays.toString(spec.shape()) + " " + spec.dtype().safetensorsName();
  }
}
