"""Loads a model the aggregator exported into a PyTorch module, as a user would, and evaluates it.

usage: evaluate_exported.py MODEL.safetensors EXAMPLES_DIR DATA_DIR ARCHITECTURE
Prints one JSON line: the test-set accuracy and loss, the tensor names and dtypes of the file.
"""
import json
import sys

import torch
from safetensors.torch import load_file

model_file, examples, data, architecture = sys.argv[1:5]
sys.path.insert(0, examples)
import fashion_mnist  # noqa: E402

torch.set_num_threads(1)
tensors = load_file(model_file)
model = fashion_mnist.build_model(architecture)
model.load_state_dict(tensors, strict=True)  # every name and shape, nothing missing or left over
images, labels = fashion_mnist.read_set(data, fashion_mnist.TEST_IMAGES, fashion_mnist.TEST_LABELS)
loss, accuracy = fashion_mnist.evaluate_on(model, images, labels)
print(json.dumps({"accuracy": accuracy, "loss": loss, "samples": int(len(labels)),
                  "tensors": {name: str(t.dtype) for name, t in tensors.items()}}))
