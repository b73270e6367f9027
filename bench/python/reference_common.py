"""The pieces of Flotilla's local training, written in plain PyTorch for the learning-quality benchmark.

Everything here mirrors a named piece of the Java side, so that the reference differs from Flotilla only
in the engine (PyTorch in Python against DJL's PyTorch engine in the JVM), never in the recipe:

- the data: Fashion-MNIST idx files, pixels / 255 (party ImageDataset.copyScaled), no normalisation;
- the model: the built-in "cnn" (party Architecture.CNN, protocol ModelSpecs): conv5(6) relu maxpool2
  conv5(16) relu maxpool2 256-120-84-10, tensors named and ordered as ModelSpecs' layout;
- the sample order: party LocalModel.train shuffles the local indices in place with java.util.Random,
  once per epoch, seeded per party and round by PartyRunner.shuffleSeed; JavaRandom reproduces it;
- the optimiser: SGD with momentum whose buffer starts at zero every round (LocalModel builds a new
  DJL Trainer and optimiser per round); mean cross-entropy over each batch, the last batch partial.

What remains different is rounding: two PyTorch builds (Debian's 1.13 here, DJL's libtorch 2.7.1 in the
party) pick their convolution kernels by their own heuristics (the thread count among them). Where they
pick the same, a party's round ends within about 1e-6 (relative) of the party's weights; where not, the
weights drift apart by rounding as far as they do between PyTorch's two CPU kernel choices, which
set_conv_kernels selects (oneDNN, the default, or PyTorch's native kernels).

Needs torch, numpy (Debian's python3-torch, python3-numpy) and the safetensors wheel; run with /usr/bin/python3.
"""

import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

MASK_48 = (1 << 48) - 1
MASK_64 = (1 << 64) - 1
JAVA_MULTIPLIER = 0x5DEECE66D


class JavaRandom:
    """java.util.Random: the 48-bit linear congruential generator and its nextInt(bound)."""

    def __init__(self, seed):
        self.state = (seed ^ JAVA_MULTIPLIER) & MASK_48

    def _next(self, bits):
        self.state = (self.state * JAVA_MULTIPLIER + 0xB) & MASK_48
        return self.state >> (48 - bits)

    def next_int(self, bound):
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            # Java checks u - r + m < 0 in 32-bit arithmetic, i.e. an overflow past 2^31 - 1
            if u - r + m < (1 << 31):
                return r
            u = self._next(31)


def java_shuffle(values, random):
    """In-place Fisher-Yates exactly as LocalModel.shuffle (from the last index down)."""
    for i in range(len(values) - 1, 0, -1):
        j = random.next_int(i + 1)
        values[i], values[j] = values[j], values[i]


def shuffle_seed(seed, partition_index, round_number):
    """PartyRunner.shuffleSeed: the seed of a party's sample order in a round (Java long arithmetic)."""
    mixed = (seed * 0x9E3779B97F4A7C15 + partition_index * 0xBF58476D1CE4E5B9 + round_number) & MASK_64
    return mixed ^ (mixed >> 31)


def read_idx(path):
    """An idx file (gzipped or not) as a numpy array of unsigned bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an idx file of unsigned bytes")
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape} but the file holds {body.size} bytes of data")
    return body.reshape(shape)


def _locate(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{name}[.gz] not found in {directory}")


def load_fashion_mnist(directory, split):
    """(images as float32 [n, 1, 28, 28] scaled to [0, 1], labels as int64 [n]) of 'train' or 't10k'."""
    images = read_idx(_locate(directory, f"{split}-images-idx3-ubyte"))
    labels = read_idx(_locate(directory, f"{split}-labels-idx1-ubyte"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{directory}: {images.shape[0]} {split} images but {labels.shape[0]} labels")
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# The built-in cnn is defined once, in examples/pytorch/flotilla_models.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "pytorch"))
from flotilla_models import Cnn  # noqa: E402


def load_initial_model(path):
    """The initial weights Flotilla's server starts from (a safetensors file), as a state dict for Cnn."""
    state = load_file(path)
    template = Cnn().state_dict()
    if set(state) != set(template):
        raise ValueError(f"{path}: tensors {sorted(state)}, the cnn has {list(template)}")
    for name, tensor in template.items():
        if tuple(state[name].shape) != tuple(tensor.shape) or state[name].dtype != torch.float32:
            raise ValueError(f"{path}: {name} is {state[name].dtype}{list(state[name].shape)}, "
                             f"expected torch.float32{list(tensor.shape)}")
    return {name: state[name] for name in template}


def train_local(model, x, y, indices, epochs, batch_size, lr, momentum, order_seed, weight_decay=0.0):
    """One party's local training as LocalModel.train does it; returns the mean loss of the last epoch.

    indices are the party's sample indices in ascending order (its ImageDataset subset); the order is
    shuffled in place each epoch with one JavaRandom(order_seed), the momentum buffer starts at zero;
    weight_decay is SGD's L2 term, as the party's --weight-decay (DJL's SGD adds it to the gradient likewise)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    random = JavaRandom(order_seed)
    order = list(range(len(indices)))
    indices = torch.as_tensor(indices, dtype=torch.int64)
    model.train()
    last_epoch_loss = 0.0
    for _ in range(epochs):
        java_shuffle(order, random)
        positions = indices[torch.as_tensor(order, dtype=torch.int64)]
        epoch_x, epoch_y = x[positions], y[positions]  # one gather per epoch, then contiguous batches
        last_epoch_loss = 0.0
        for start in range(0, len(order), batch_size):
            batch_x, batch_y = epoch_x[start:start + batch_size], epoch_y[start:start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(batch_x), batch_y)
            loss.backward()
            optimizer.step()
            last_epoch_loss += loss.item() * len(batch_y)
    return last_epoch_loss / len(order)


@torch.no_grad()
def evaluate(model, x, y, batch_size=1000):
    """(mean cross-entropy, accuracy) on the whole set, in batches as LocalModel.evaluate."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        logits = model(x[start:start + batch_size])
        target = y[start:start + batch_size]
        loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(dim=1) == target).sum().item()
    return loss_sum / len(y), correct / len(y)


CONV_KERNELS = ("default", "native")


def set_conv_kernels(kind):
    """'default': PyTorch's choice (oneDNN/mkldnn convolutions on this CPU build); 'native': oneDNN off, so
    convolutions run PyTorch's own CPU kernels. Both compute the same convolution; they differ in rounding."""
    if kind not in CONV_KERNELS:
        raise ValueError(f"conv kernels '{kind}': expected one of {CONV_KERNELS}")
    torch.backends.mkldnn.enabled = kind == "default"


def set_threads(threads):
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # only settable before the first parallel work


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
