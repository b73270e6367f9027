"""python3 resnet20_logits.py MODELS_DIR WEIGHTS INPUTS OUT START: loads WEIGHTS (safetensors) into
flotilla_models.ResNet20 with load_state_dict(strict=True), and writes its eval-mode logits for INPUTS
(safetensors tensor "x") to OUT (safetensors tensor "logits"); prints the state_dict layout as JSON, then the largest difference
between WEIGHTS' BatchNorm running statistics and those of START after one training-mode forward of
the first 32 inputs in PyTorch."""
import json
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, sys.argv[1])
import flotilla_models  # noqa: E402

model = flotilla_models.build("resnet20")
model.load_state_dict(load_file(sys.argv[2]), strict=True)
model.eval()
with torch.no_grad():
    logits = model(load_file(sys.argv[3])["x"])
save_file({"logits": logits.contiguous()}, sys.argv[4])
print(json.dumps([[k, list(v.shape), str(v.dtype)] for k, v in model.state_dict().items()]))

start = flotilla_models.build("resnet20")
start.load_state_dict(load_file(sys.argv[5]), strict=True)
start.train()
with torch.no_grad():
    start(load_file(sys.argv[3])["x"][:32])
trained = load_file(sys.argv[2])
print(max(float((trained[k] - v).abs().max()) for k, v in start.state_dict().items() if "running_" in k))
