"""The network of ExportPyTorchIT: a LeNet-style CNN for 1x28x28 images with a BatchNorm after
the first convolution, so its state_dict has F32 parameters and buffers and BatchNorm's I64
num_batches_tracked of shape [].

  python3 net.py init OUT.safetensors            the initial model (seeded), as safetensors
  python3 net.py check EXPORTED.safetensors RAW LAYOUT  load_file + load_state_dict(strict) into
      Net, run it on a fixed batch, and compare with the same network computed functionally from RAW
      (the float32 values the server holds, little-endian, in the file's tensor order, which the
      JSON file LAYOUT gives: [[name, shape], ...]); prints the largest difference
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5)
        self.bn1 = torch.nn.BatchNorm2d(6)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(256, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def functional(p, x):
    """Net's forward pass in eval mode from a dict of plain tensors."""
    x = F.conv2d(x, p["conv1.weight"], p["conv1.bias"])
    x = F.batch_norm(x, p["bn1.running_mean"], p["bn1.running_var"], p["bn1.weight"], p["bn1.bias"], False, 0.0, 1e-5)
    x = F.max_pool2d(F.relu(x), 2)
    x = F.max_pool2d(F.relu(F.conv2d(x, p["conv2.weight"], p["conv2.bias"])), 2)
    x = torch.flatten(x, 1)
    x = F.relu(F.linear(x, p["fc1.weight"], p["fc1.bias"]))
    x = F.relu(F.linear(x, p["fc2.weight"], p["fc2.bias"]))
    return F.linear(x, p["fc3.weight"], p["fc3.bias"])


def main():
    if sys.argv[1] == "init":
        torch.manual_seed(3)
        net = Net()
        # running statistics as after some training, so the BatchNorm is not an identity
        net.bn1.running_mean.uniform_(-0.5, 0.5)
        net.bn1.running_var.uniform_(0.5, 2.0)
        net.bn1.num_batches_tracked.fill_(7)
        save_file(dict(net.state_dict()), sys.argv[2], metadata={"format": "pt"})
        return
    net = Net()
    state = load_file(sys.argv[2])
    assert state["bn1.num_batches_tracked"].dtype == torch.int64, state["bn1.num_batches_tracked"].dtype
    assert state["bn1.num_batches_tracked"].shape == torch.Size([]), state["bn1.num_batches_tracked"].shape
    net.load_state_dict(state, strict=True)
    net.eval()
    with open(sys.argv[4]) as f:
        layout = json.load(f)
    raw = torch.from_numpy(np.fromfile(sys.argv[3], dtype="<f4"))
    params, at = {}, 0
    for name, shape in layout:
        n = int(np.prod(shape)) if shape else 1
        params[name] = raw[at:at + n].reshape(shape)
        at += n
    assert at == raw.numel(), (at, raw.numel())
    x = torch.linspace(-1, 1, 4 * 28 * 28).reshape(4, 1, 28, 28)
    with torch.no_grad():
        ours = functional(params, x)
        theirs = net(x)
    print("num_batches_tracked", int(state["bn1.num_batches_tracked"]))
    print("max_abs_difference", float((ours - theirs).abs().max()))
    print("output_scale", float(theirs.abs().max()))


main()
