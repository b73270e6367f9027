"""Exports the TorchScript modules the party's tests train in DJL: python3 export_torchscript.py OUT_DIR.

mlp_script.pt / mlp_trace.pt: the built-in mlp (fc1..fc3, 784-200-200-10) via torch.jit.script / trace;
bn_script.pt: conv + BatchNorm + linear (buffers running_mean, running_var, num_batches_tracked);
wide_script.pt: an mlp whose fc2 is 784-100-10, which does not fit the mlp layout.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, hidden=200):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, 200)
        self.fc3 = nn.Linear(200, 10)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class BatchNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.bn1 = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6 * 12 * 12, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        return self.fc(torch.flatten(x, 1))


out = sys.argv[1]
torch.manual_seed(0)
mlp = Mlp()
torch.jit.script(mlp).save(out + "/mlp_script.pt")
torch.jit.trace(mlp, torch.zeros(2, 1, 28, 28)).save(out + "/mlp_trace.pt")
torch.jit.script(BatchNormNet()).save(out + "/bn_script.pt")
torch.jit.script(Mlp(hidden=100)).save(out + "/wide_script.pt")
