"""PyTorch definitions of Flotilla's built-in models, with the tensor names of their safetensors.

Each module's state_dict has exactly the names, shapes and order of the layout in
dev.flotilla.protocol.model.ModelSpecs, so a model the server exports loads with
``model.load_state_dict(safetensors.torch.load_file(path), strict=True)``:

    import flotilla_models
    model = flotilla_models.build("resnet20")      # or "mlp", "cnn", "mlp:30-64-2"

Inputs: mlp:IN-... takes [batch, IN] (or anything that flattens to IN), cnn [batch, 1, 28, 28],
resnet20 [batch, 3, 32, 32]; outputs are logits (one unit for a regression MLP).
"""
import torch
import torch.nn.functional as F
from torch import nn


class Mlp(nn.Module):
    """fc1..fcN with ReLU between; mlp = mlp:784-200-200-10."""

    def __init__(self, sizes=(784, 200, 200, 10)):
        super().__init__()
        self.sizes = tuple(sizes)
        for i in range(1, len(sizes)):
            self.add_module("fc%d" % i, nn.Linear(sizes[i - 1], sizes[i]))

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        layers = [getattr(self, "fc%d" % i) for i in range(1, len(self.sizes))]
        for layer in layers[:-1]:
            x = F.relu(layer(x))
        return layers[-1](x)


class Cnn(nn.Module):
    """LeNet-style: conv5(6) -> pool -> conv5(16) -> pool -> 256-120-84-10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(256, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm; a 1x1 conv + BN projection when the shape changes."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


class ResNet20(nn.Module):
    """He et al. 2016, CIFAR ResNet-20: 3 stages x 3 basic blocks of 16/32/64 channels, ~0.27M parameters."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32), BasicBlock(32, 32))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64), BasicBlock(64, 64))
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def build(name):
    """The module of a built-in model name: mlp, mlp:IN-H1-...-OUT, cnn or resnet20."""
    if name == "mlp":
        return Mlp()
    if name.startswith("mlp:"):
        return Mlp([int(size) for size in name[4:].split("-")])
    if name == "cnn":
        return Cnn()
    if name == "resnet20":
        return ResNet20()
    raise ValueError("unknown built-in model %r; expected mlp, mlp:IN-H1-...-OUT, cnn or resnet20" % name)
