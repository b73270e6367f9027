#!/usr/bin/env python3
"""Plain PyTorch SCAFFOLD (option II) on a `flotilla simulate` run's partition: the reference that checks ours.

Written from the paper (Karimireddy et al. 2020, Algorithm 1) and fedavg_reference.py's local training, not
from the Java code. Every round, each party (in index order) starts from the global model x, trains its local
epochs with every gradient corrected by c - c_i (added after backward, before SGD's weight decay and momentum,
as the party's LocalModel adds the gradient of <w, c - c_i>), counts its K steps, and keeps
c_i+ = c_i - c + (x - y_i) / (a lr); the next global model is the sample-weighted mean of the y_i and
c+ = c + (|S| / N) * weighted mean of (c_i+ - c_i) (full participation here, so |S| / N = 1).

a is the paper's K (--control-scale steps) or FedNova's momentum-normalised step count
[K - rho (1 - rho^K) / (1 - rho)] / (1 - rho) (--control-scale normalised, what Flotilla's party divides by).

The partition comes from --simulator-report's partition_split; when that run trained with the same recipe (its
"training" settings, SCAFFOLD, the same control scale) its per-round accuracy is printed beside the reference's; with --state-dir (the run's --state-dir) the global model and c of every round
are compared with the reference's (largest absolute difference, relative to the largest value).

  /usr/bin/python3 bench/python/scaffold_reference.py --simulator-report run.json --state-dir run-state \
      --initial-model cnn-seed42.safetensors --rounds 6 --weight-decay 1e-5 --out scaffold.json
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import reference_common as rc


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="Fashion-MNIST idx directory")
    p.add_argument("--simulator-report", required=True, help="a `flotilla simulate --report` JSON (its partition_split)")
    p.add_argument("--state-dir", help="the run's --state-dir: its global/model-R.f32 are compared round by round")
    p.add_argument("--initial-model", required=True, help="initial cnn weights (safetensors), the aggregator's version 0")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--local-epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--control-scale", choices=("normalised", "steps"), default="normalised",
                   help="divide x - y by lr times FedNova's a (Flotilla's party) or by lr K (the paper's option II)")
    p.add_argument("--no-correction", action="store_true", help="train without c - c_i (FedAvg, c_i still kept)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    p.add_argument("--out", required=True, help="JSON result file")
    return p.parse_args(argv)


def steps_scale(steps, rho, kind):
    """SgdSteps.normalised written again: how far K momentum steps carry a constant gradient, in lr units."""
    if kind == "steps" or rho == 0:
        return float(steps)
    return (steps - rho * (1 - rho ** steps) / (1 - rho)) / (1 - rho)


def train_corrected(model, x, y, indices, args, order_seed, correction):
    """fedavg_reference's local training with the gradient of every parameter plus its correction; returns K."""
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    random = rc.JavaRandom(order_seed)
    order = list(range(len(indices)))
    indices = torch.as_tensor(indices, dtype=torch.int64)
    model.train()
    steps = 0
    for _ in range(args.local_epochs):
        rc.java_shuffle(order, random)
        positions = indices[torch.as_tensor(order, dtype=torch.int64)]
        epoch_x, epoch_y = x[positions], y[positions]
        for start in range(0, len(order), args.batch_size):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(epoch_x[start:start + args.batch_size]), epoch_y[start:start + args.batch_size])
            loss.backward()
            if correction is not None:
                for name, parameter in model.named_parameters():
                    parameter.grad += correction[name]
            optimizer.step()
            steps += 1
    return steps


def norm(tensors):
    return float(torch.sqrt(sum((t.double() ** 2).sum() for t in tensors.values())))


def read_state(state_dir, round_number, names, shapes):
    """(model, c) of global/model-R.f32: the layout's float32 values, model tensors then their control variates."""
    path = os.path.join(state_dir, "global", f"model-{round_number}.f32")
    if not os.path.isfile(path):
        return None
    values = torch.from_numpy(np.fromfile(path, dtype="<f4"))
    sizes = [int(np.prod(shapes[n])) for n in names]
    if values.numel() != 2 * sum(sizes):
        raise ValueError(f"{path}: {values.numel()} values, a SCAFFOLD cnn layout has {2 * sum(sizes)}")
    model, control, offset = {}, {}, 0
    for part in (model, control):
        for name, size in zip(names, sizes):
            part[name] = values[offset:offset + size].reshape(shapes[name])
            offset += size
    return model, control


def largest_difference(ours, theirs):
    diff = max(float((ours[n] - theirs[n]).abs().max()) for n in theirs)
    scale = max(float(theirs[n].abs().max()) for n in theirs)
    return diff, diff / scale if scale > 0 else float("inf")


def main(argv):
    args = parse_args(argv)
    rc.set_threads(args.threads)
    train_x, train_y = rc.load_fashion_mnist(args.data, "train")
    test_x, test_y = rc.load_fashion_mnist(args.data, "t10k")
    with open(args.simulator_report) as f:
        report = json.load(f)
    split = report["partition_split"]
    parts = [party["indices"] for party in split["parties"]]
    seed = split["seed"]
    x_global = rc.load_initial_model(args.initial_model)
    names = list(x_global)
    shapes = {n: t.shape for n, t in x_global.items()}
    c_global = {n: torch.zeros_like(t) for n, t in x_global.items()}
    c_party = [{n: torch.zeros_like(t) for n, t in x_global.items()} for _ in parts]
    training = report.get("training", {})
    same_recipe = (report.get("strategy") == "scaffold" and not args.no_correction
                   and (args.momentum == 0 or args.control_scale == "normalised")
                   and all(training.get(k) == v for k, v in (("local_epochs", args.local_epochs),
                       ("batch_size", args.batch_size), ("lr", args.lr), ("momentum", args.momentum),
                       ("weight_decay", args.weight_decay))))
    # the run's accuracies are only comparable when it trained as the reference does
    ours_accuracy = report.get("accuracy_per_round", []) if same_recipe else []
    model = rc.Cnn()
    total = sum(len(p) for p in parts)
    rounds = []
    print(f"reference scaffold ({args.control_scale}{', no correction' if args.no_correction else ''}) on "
          f"{split['scheme']}: {len(parts)} parties, lr {args.lr} momentum {args.momentum} wd {args.weight_decay}",
          flush=True)
    for round_number in range(1, args.rounds + 1):
        model_sum = {n: torch.zeros_like(t, dtype=torch.float64) for n, t in x_global.items()}
        delta_sum = {n: torch.zeros_like(t, dtype=torch.float64) for n, t in x_global.items()}
        steps_seen = []
        for index, indices in enumerate(parts):
            model.load_state_dict(x_global)
            correction = None if args.no_correction else {n: c_global[n] - c_party[index][n] for n in names}
            steps = train_corrected(model, train_x, train_y, indices, args,
                                    rc.shuffle_seed(seed, index, round_number), correction)
            steps_seen.append(steps)
            y = {n: t.detach().clone() for n, t in model.state_dict().items()}
            per_value = 1.0 / (steps_scale(steps, args.momentum, args.control_scale) * args.lr)
            for n in names:
                added = ((x_global[n].double() - y[n].double()) * per_value).float()  # c + (c_i+ - c_i)
                new_ci = c_party[index][n] - c_global[n] + added
                delta_sum[n] += len(indices) * (new_ci - c_party[index][n]).double()
                c_party[index][n] = new_ci
                model_sum[n] += len(indices) * y[n].double()
        x_global = {n: (s / total).float() for n, s in model_sum.items()}
        c_global = {n: (c_global[n].double() + delta_sum[n] / total).float() for n in names}
        model.load_state_dict(x_global)
        loss, accuracy = rc.evaluate(model, test_x, test_y)
        entry = {"round": round_number, "accuracy": accuracy, "loss": loss, "steps": steps_seen,
                 "norm_x": norm(x_global), "norm_c": norm(c_global),
                 "norm_c_i": [norm(ci) for ci in c_party]}
        line = (f"round {round_number}: accuracy {accuracy:.4f} loss {loss:.4g} |x| {entry['norm_x']:.4g} "
                f"|c| {entry['norm_c']:.4g} |c_i| {min(entry['norm_c_i']):.4g}..{max(entry['norm_c_i']):.4g}")
        if round_number <= len(ours_accuracy):
            entry["ours_accuracy"] = ours_accuracy[round_number - 1]
            line += f" | flotilla accuracy {ours_accuracy[round_number - 1]:.4f}"
        state = read_state(args.state_dir, round_number, names, shapes) if args.state_dir else None
        if state is not None:
            ours_x, ours_c = state
            entry["ours_norm_x"], entry["ours_norm_c"] = norm(ours_x), norm(ours_c)
            entry["max_diff_x"], entry["rel_diff_x"] = largest_difference(ours_x, x_global)
            entry["max_diff_c"], entry["rel_diff_c"] = largest_difference(ours_c, c_global)
            line += (f" |x| {entry['ours_norm_x']:.4g} |c| {entry['ours_norm_c']:.4g}; max |diff| x "
                     f"{entry['max_diff_x']:.3g} ({entry['rel_diff_x']:.2g} rel), c {entry['max_diff_c']:.3g} "
                     f"({entry['rel_diff_c']:.2g} rel)")
        print(line, flush=True)
        rounds.append(entry)
    rc.write_json(args.out, {
        "partition": split["scheme"], "parties": len(parts), "seed": seed, "control_scale": args.control_scale,
        "correction": not args.no_correction, "local_epochs": args.local_epochs, "batch_size": args.batch_size,
        "lr": args.lr, "momentum": args.momentum, "weight_decay": args.weight_decay, "torch": torch.__version__,
        "rounds": rounds,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
