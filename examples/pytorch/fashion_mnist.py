"""A complete external trainer for Flotilla: Fashion-MNIST (or MNIST) in PyTorch.

    bin/flotilla party ... --data /usr/share/datasets/fashion-mnist \\
        --trainer-command '/usr/bin/python3 examples/pytorch/fashion_mnist.py'

The party appends the path of round.json. The model is the job's built-in architecture (round.json's
"model": ``cnn``, ``mlp`` or ``mlp:784-H1-...-10``) unless ``--model`` says otherwise; its
state_dict names are those of Flotilla's built-in layouts (conv1/conv2/fc1/fc2/fc3), so the global
model loads with ``load_state_dict(strict=True)``.

Data: the idx files (gzipped or not) in round.json's "data" directory; this party trains on its
part of the training set (round.json's "partition": ``iid``, ``dirichlet:ALPHA`` or ``labels:K``,
drawn from the partition seed so that every party computes the same disjoint split) and
evaluates on the test set of "test_data" (else of "data"), the first "eval_samples" images when
set. Pixels are scaled to [0, 1], as the built-in trainers do.

Training: SGD with momentum and weight decay, round.json's epochs, batch size and learning rate, batches shuffled
from the round's seed; with "proximal_mu" > 0 the FedProx term mu/2 * ||w - w_global||^2.
"""

import argparse
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flotilla_models  # noqa: E402
import flotilla_trainer as flotilla  # noqa: E402

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
CLASSES = 10
EVAL_BATCH = 1000


# ------------------------------------------------------------------------------------- models
# The built-in architectures are defined once, in flotilla_models.py, with the layouts' names.

def build_model(name):
    """The PyTorch module of a Flotilla built-in architecture name."""
    if name == "cnn":
        return flotilla_models.Cnn()
    if name == "mlp":
        return flotilla_models.Mlp()
    if name.startswith("mlp:"):
        try:
            widths = [int(w) for w in name[4:].split("-")]
        except ValueError:
            raise flotilla.ContractError(f"model '{name}': widths must be integers, as in mlp:784-200-10") from None
        if len(widths) < 2 or min(widths) < 1:
            raise flotilla.ContractError(f"model '{name}': needs at least an input and an output width")
        if widths[0] != 28 * 28 or widths[-1] != CLASSES:
            raise flotilla.ContractError(f"model '{name}': Fashion-MNIST needs input 784 and output {CLASSES}")
        return flotilla_models.Mlp(widths)
    raise flotilla.ContractError(f"model '{name or '(none)'}' is not one this example builds "
                                 f"(cnn, mlp, mlp:784-...-10); pass --model")


# --------------------------------------------------------------------------------------- data

def read_idx(directory, name):
    """An idx file (``name`` or ``name.gz``) as a numpy array of unsigned bytes."""
    path = os.path.join(directory, name)
    if not os.path.isfile(path) and os.path.isfile(path + ".gz"):
        path += ".gz"
    if not os.path.isfile(path):
        raise flotilla.ContractError(f"{os.path.join(directory, name)}[.gz]: no such file "
                                     f"(expected Fashion-MNIST idx files in {directory})")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        content = f.read()
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] != 0x08:
        raise flotilla.ContractError(f"{path}: not an idx file of unsigned bytes (magic {content[:4].hex()})")
    dims = content[3]
    header = 4 + 4 * dims
    if dims < 1 or len(content) < header:
        raise flotilla.ContractError(f"{path}: truncated idx header")
    shape = [int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    expected = int(np.prod(shape))
    if len(content) - header != expected:
        raise flotilla.ContractError(f"{path}: header promises {expected} bytes of data for shape {shape}, "
                                     f"the file holds {len(content) - header}")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)


def read_set(directory, images_name, labels_name):
    images = read_idx(directory, images_name)
    labels = read_idx(directory, labels_name)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise flotilla.ContractError(f"{directory}: {images_name} {list(images.shape)} and {labels_name} "
                                     f"{list(labels.shape)} do not make a set of labelled images")
    return images, labels


def part_of(partition, labels):
    """This party's sample indices (sorted). Every party draws the same split from the partition
    seed, so the parts are disjoint; the split follows the party's --partition schemes."""
    n = len(labels)
    if partition is None:
        return np.arange(n)
    rng = np.random.default_rng(partition.seed)
    scheme = partition.scheme.strip().lower()
    if scheme == "iid":
        order = rng.permutation(n)
        start = n * partition.index // partition.count
        end = n * (partition.index + 1) // partition.count
        return np.sort(order[start:end])
    kind, _, argument = scheme.partition(":")
    if kind == "dirichlet":
        return np.sort(_dirichlet_parts(labels, partition.count, float(argument), rng)[partition.index])
    if kind == "labels":
        return np.sort(_label_parts(labels, partition.count, int(argument), rng)[partition.index])
    raise flotilla.ContractError(f"partition scheme '{partition.scheme}' is not iid, dirichlet:ALPHA or labels:K")


def _dirichlet_parts(labels, parts, alpha, rng):
    """Per class, shares from Dirichlet(alpha), redrawn until every part has at least 10 samples."""
    minimum = min(10, len(labels) // parts)
    for _ in range(1000):
        assigned = [[] for _ in range(parts)]
        for c in range(int(labels.max()) + 1):
            members = rng.permutation(np.flatnonzero(labels == c))
            cuts = (np.cumsum(rng.dirichlet([alpha] * parts))[:-1] * len(members)).round().astype(int)
            for p, chunk in enumerate(np.split(members, cuts)):
                assigned[p].extend(chunk.tolist())
        if min(len(a) for a in assigned) >= minimum:
            return [np.array(a, dtype=np.int64) for a in assigned]
    raise flotilla.ContractError(f"dirichlet:{alpha} gave some of {parts} parties fewer than {minimum} samples "
                                 f"in 1000 draws; use a larger ALPHA or fewer parties")


def _label_parts(labels, parts, k, rng):
    """Each part holds k classes, dealt round-robin in a seeded order; a shared class is split equally."""
    classes = int(labels.max()) + 1
    order = rng.permutation(classes)
    holders = [[] for _ in range(classes)]
    for p in range(parts):
        for j in range(k):
            holders[order[(p * k + j) % classes]].append(p)
    assigned = [[] for _ in range(parts)]
    for c in range(classes):
        members = rng.permutation(np.flatnonzero(labels == c))
        for s, owner in enumerate(holders[c]):
            n = len(members)
            assigned[owner].extend(members[n * s // len(holders[c]):n * (s + 1) // len(holders[c])].tolist())
    return [np.array(a, dtype=np.int64) for a in assigned]


def training_indices(settings):
    labels = read_idx(settings.data, TRAIN_LABELS)
    indices = part_of(settings.partition, labels)
    if settings.max_samples is not None:
        indices = indices[:settings.max_samples]
    return indices


def as_inputs(images, model):
    """Pixels / 255 in the shape the model takes."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return x.reshape(len(images), -1) if isinstance(model, flotilla_models.Mlp) else x.unsqueeze(1)


# ------------------------------------------------------------------------- the three functions

def describe(settings):
    return int(len(training_indices(settings)))


def train(settings, model):
    images, labels = read_set(settings.data, TRAIN_IMAGES, TRAIN_LABELS)
    indices = training_indices(settings)
    x = as_inputs(images[indices], model)
    y = torch.from_numpy(labels[indices].astype(np.int64))
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                                weight_decay=settings.weight_decay)
    global_params = [p.detach().clone() for p in model.parameters()]
    generator = torch.Generator().manual_seed(settings.seed)
    model.train()
    loss_sum, seen = 0.0, 0
    for _ in range(settings.epochs):
        loss_sum, seen = 0.0, 0  # train_loss: the mean over the last epoch
        for batch in torch.randperm(len(y), generator=generator).split(settings.batch_size):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[batch]), y[batch])
            objective = loss
            if settings.proximal_mu > 0:
                drift = sum(((p - g) ** 2).sum() for p, g in zip(model.parameters(), global_params))
                objective = loss + settings.proximal_mu / 2 * drift
            objective.backward()
            optimizer.step()
            loss_sum += loss.item() * len(batch)
            seen += len(batch)
    return flotilla.Training(num_samples=int(len(y)), train_loss=loss_sum / seen)


def evaluate(settings, model):
    images, labels = read_set(settings.test_data or settings.data, TEST_IMAGES, TEST_LABELS)
    if settings.eval_samples is not None:
        images, labels = images[:settings.eval_samples], labels[:settings.eval_samples]
    loss, accuracy = evaluate_on(model, images, labels)
    return flotilla.Evaluation(num_samples=int(len(labels)), metrics={"loss": loss, "accuracy": accuracy})


def evaluate_on(model, images, labels):
    """Mean cross-entropy and accuracy of ``model`` on idx images and labels."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(labels), EVAL_BATCH):
            x = as_inputs(images[start:start + EVAL_BATCH], model)
            y = torch.from_numpy(labels[start:start + EVAL_BATCH].astype(np.int64))
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(dim=1) == y).sum())
    return loss_sum / len(labels), correct / len(labels)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="cnn, mlp or mlp:784-...-10 (default: round.json's model)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's, which follows OMP_NUM_THREADS)")
    parser.add_argument("round_file", help="round.json (appended by the party)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    flotilla.main(lambda settings: build_model(args.model or settings.model),
                  describe=describe, train=train, evaluate=evaluate, argv=[args.round_file])


if __name__ == "__main__":
    main()
