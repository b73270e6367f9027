#!/usr/bin/env python3
"""Training speed of the built-in cnn in plain PyTorch: the peer of Flotilla's party in the benchmark.

Trains on the first --samples training images exactly as the reference FedAvg (and Flotilla's party)
does, batch --batch-size, SGD + momentum: --warm-up-epochs unmeasured, then --epochs timed; prints one
JSON object with samples per second.

  /usr/bin/python3 bench/python/training_speed.py --threads 1 --initial-model cnn.safetensors
"""

import argparse
import json
import sys
import time

import torch

import reference_common as rc


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--initial-model", required=True)
    p.add_argument("--samples", type=int, default=6000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--warm-up-epochs", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    rc.set_threads(args.threads)
    x, y = rc.load_fashion_mnist(args.data, "train")
    indices = list(range(min(args.samples, len(y))))
    model = rc.Cnn()
    model.load_state_dict(rc.load_initial_model(args.initial_model))
    for epoch in range(args.warm_up_epochs):
        rc.train_local(model, x, y, indices, 1, args.batch_size, args.lr, args.momentum, args.seed + epoch)
    seconds = []
    for epoch in range(args.epochs):
        started = time.perf_counter()
        rc.train_local(model, x, y, indices, 1, args.batch_size, args.lr, args.momentum, args.seed + 1000 + epoch)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"engine": f"PyTorch {torch.__version__} (Python)", "threads": torch.get_num_threads(),
                      "samples": len(indices), "batch_size": args.batch_size, "epoch_seconds": seconds,
                      "samples_per_second": len(indices) * len(seconds) / sum(seconds)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
