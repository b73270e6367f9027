#!/usr/bin/env python3
"""Plain PyTorch FedAvg on Flotilla's partitions: the reference of the learning-quality benchmark.

Every round, each party (in index order, one after another) starts from the global model, trains
--local-epochs over its part with SGD + momentum (buffer reset each round) in the order Flotilla's party
uses, and the next global model is the sample-weighted mean of the trained weights (in float64, stored
as float32, as the aggregator's WeightedSum). The global model is evaluated on the whole 10 000-image
test set after every round (round 0: the initial model), the quantity Flotilla's status file reports.

  /usr/bin/python3 bench/python/fedavg_reference.py --partition-file parts.json \
      --initial-model cnn.safetensors --rounds 10 --out reference.json

The partition file is what `bin/flotilla partition` writes; the initial model is the built-in cnn's
seeded version 0 (the same the aggregator starts from with --model cnn --seed S).
"""

import argparse
import json
import sys
import time

import torch

import reference_common as rc


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="Fashion-MNIST idx directory")
    p.add_argument("--partition-file", required=True, help="JSON of the parties' sample indices")
    p.add_argument("--initial-model", required=True, help="initial cnn weights (safetensors), the aggregator's version 0")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--local-epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the parties' sample order (default: the partition file's seed, as the party uses --seed for both)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    p.add_argument("--conv-kernels", choices=rc.CONV_KERNELS, default="default",
                   help="default: PyTorch's convolution kernels (oneDNN); native: oneDNN off (see reference_common)")
    p.add_argument("--out", required=True, help="JSON result file")
    return p.parse_args(argv)


def load_partition(path, train_size):
    with open(path) as f:
        spec = json.load(f)
    parts = [part["indices"] for part in spec["parts"]]
    seen = set()
    for i, indices in enumerate(parts):
        if not indices or any(not (0 <= j < train_size) for j in indices):
            raise ValueError(f"{path}: part {i} is empty or has an index outside 0..{train_size - 1}")
        if list(indices) != sorted(indices) or seen.intersection(indices):
            raise ValueError(f"{path}: part {i} is not ascending or overlaps another part")
        seen.update(indices)
    return spec, parts


def main(argv):
    args = parse_args(argv)
    rc.set_threads(args.threads)
    rc.set_conv_kernels(args.conv_kernels)
    train_x, train_y = rc.load_fashion_mnist(args.data, "train")
    test_x, test_y = rc.load_fashion_mnist(args.data, "t10k")
    spec, parts = load_partition(args.partition_file, len(train_y))
    seed = spec["seed"] if args.seed is None else args.seed
    global_state = rc.load_initial_model(args.initial_model)
    model = rc.Cnn()

    model.load_state_dict(global_state)
    loss, accuracy = rc.evaluate(model, test_x, test_y)
    rounds = [{"round": 0, "accuracy": accuracy, "loss": loss}]
    print(f"reference {spec['partition']} ({args.conv_kernels} conv kernels): round 0 (initial model) accuracy {accuracy:.4f}", flush=True)
    train_seconds = 0.0
    trained_samples = 0
    for round_number in range(1, args.rounds + 1):
        sums = {name: torch.zeros_like(t, dtype=torch.float64) for name, t in global_state.items()}
        total = 0
        train_losses = []
        for index, indices in enumerate(parts):
            model.load_state_dict(global_state)
            started = time.perf_counter()
            train_losses.append(rc.train_local(model, train_x, train_y, indices, args.local_epochs, args.batch_size,
                                               args.lr, args.momentum, rc.shuffle_seed(seed, index, round_number),
                                               weight_decay=args.weight_decay))
            train_seconds += time.perf_counter() - started
            trained_samples += len(indices) * args.local_epochs
            for name, tensor in model.state_dict().items():
                sums[name] += len(indices) * tensor.to(torch.float64)
            total += len(indices)
        global_state = {name: (s / total).to(torch.float32) for name, s in sums.items()}
        model.load_state_dict(global_state)
        loss, accuracy = rc.evaluate(model, test_x, test_y)
        rounds.append({"round": round_number, "accuracy": accuracy, "loss": loss,
                       "train_loss": sum(l * len(p) for l, p in zip(train_losses, parts)) / total})
        print(f"reference {spec['partition']} ({args.conv_kernels} conv kernels): round {round_number}/{args.rounds} accuracy {accuracy:.4f}", flush=True)
    rc.write_json(args.out, {
        "partition": spec["partition"], "parties": len(parts), "seed": seed, "rounds": rounds,
        "local_epochs": args.local_epochs, "batch_size": args.batch_size, "lr": args.lr, "momentum": args.momentum, "weight_decay": args.weight_decay,
        "threads": args.threads, "torch": torch.__version__, "conv_kernels": args.conv_kernels,
        "train_samples_per_second": trained_samples / train_seconds if train_seconds > 0 else None,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
