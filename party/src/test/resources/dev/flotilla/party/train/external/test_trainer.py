"""A trainer command for the party's tests: python3 test_trainer.py MODE ROUND_JSON.

MODE torch trains the mlp/cnn built-ins for real with PyTorch on Fashion-MNIST (the party's --data);
MODE noise adds seeded Gaussian noise to the global model (weight 100 x (partition index + 1)), noise-huge
also writes 70000 into the first tensor;
the other modes misbehave on purpose (fail, hang, wrong shape, NaN, ...). Safetensors files are read
and written with numpy only, so no package beyond numpy (and torch for MODE torch) is needed.
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors


def write_safetensors(path, tensors, dtypes):
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype=DTYPES[dtypes[name]]).tobytes()
        header[name] = {"dtype": dtypes[name], "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def header_dtypes(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    return {k: v["dtype"] for k, v in header.items() if k != "__metadata__"}


def idx(path):
    with gzip.open(path) if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def find(directory, stem):
    for name in (stem + "-ubyte.gz", stem + "-ubyte", stem + ".gz", stem):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise SystemExit("no " + stem + " in " + directory)


def fashion(directory, kind, part, count, limit):
    x = idx(find(directory, kind + "-images-idx3"))
    y = idx(find(directory, kind + "-labels-idx1"))
    x, y = x[part::count][:limit], y[part::count][:limit]
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, y.astype(np.int64)


def torch_round(round_json, action):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(round_json["seed"] % (2 ** 31))
    p = round_json["partition"]
    train_x, train_y = fashion(round_json["data"], "train", p["index"], p["count"], 3000)
    if action == "describe":
        return {"num_samples": len(train_x)}
    test_x, test_y = fashion(round_json["data"], "t10k", 0, 1, 1000)
    dtypes = header_dtypes(round_json["global_model"])
    state = {k: torch.tensor(np.array(v)) for k, v in read_safetensors(round_json["global_model"]).items()}
    layers = sorted({k.split(".")[0] for k in state}, key=lambda n: int(n[2:]))

    def forward(x):
        for i, layer in enumerate(layers):
            x = x @ state[layer + ".weight"].T + state[layer + ".bias"]
            if i < len(layers) - 1:
                x = torch.relu(x)
        return x

    with torch.no_grad():
        logits = forward(torch.tensor(test_x))
        metrics = {"loss": float(F.cross_entropy(logits, torch.tensor(test_y))),
                   "accuracy": float((logits.argmax(1) == torch.tensor(test_y)).float().mean())}
    if action == "evaluate":
        return {"num_samples": len(test_x), "metrics": metrics}
    for v in state.values():
        v.requires_grad_(True)
    optimizer = torch.optim.SGD(list(state.values()), lr=round_json["lr"], momentum=round_json["momentum"])
    total = 0.0
    for _ in range(round_json["epochs"]):
        order = torch.randperm(len(train_x))
        total = 0.0
        for start in range(0, len(order), round_json["batch_size"]):
            batch = order[start:start + round_json["batch_size"]]
            loss = F.cross_entropy(forward(torch.tensor(train_x[batch.numpy()])), torch.tensor(train_y[batch.numpy()]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(batch)
    metrics["train_loss"] = total / len(train_x)
    write_safetensors(round_json["output_model"], {k: v.detach().numpy() for k, v in state.items()}, dtypes)
    return {"num_samples": len(train_x), "metrics": metrics}


def main():
    mode, round_path = sys.argv[1], sys.argv[2]
    with open(round_path) as f:
        r = json.load(f)
    action = r["action"]
    # what the party passed, for the tests to inspect
    with open("seen.json", "w") as f:
        json.dump({"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}, f)
    if mode == "torch":
        result = torch_round(r, action)
    elif mode == "fail":
        print("loading data", flush=True)
        sys.stderr.write("Traceback (most recent call last):\n  File \"train.py\", line 7\nValueError: broken on purpose\n")
        sys.exit(3)
    elif mode == "fail-train" and action == "train":
        # describes and evaluates as the default mode does; only its training fails
        sys.stderr.write("Traceback (most recent call last):\n  File \"train.py\", line 9\nFloatingPointError: loss is nan\n")
        sys.exit(3)
    elif mode == "hang":
        child = subprocess.Popen(["sleep", "600"])
        with open("child.pid", "w") as f:
            f.write(str(child.pid))
        with open("self.pid", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
        return
    elif mode in ("noise", "noise-huge"):
        # weights 100, 200, ... by partition index; the update is the global model plus N(0, 0.01) noise in
        # float32, whose values a 2-byte encoding has to round
        index = r["partition"]["index"]
        result = {"num_samples": 100 * (index + 1)}
        if action != "describe":
            result["metrics"] = {"loss": 0.5, "accuracy": 0.75}
        if action == "train":
            result["metrics"]["train_loss"] = 0.25
            dtypes = header_dtypes(r["global_model"])
            rng = np.random.default_rng(1000 + 10 * index + r["round"])
            update = {k: (v + rng.normal(0, 0.01, v.shape)).astype(np.float32)
                      for k, v in read_safetensors(r["global_model"]).items()}
            if mode == "noise-huge":
                # beyond float16's largest finite value (65504), well inside bfloat16's range
                first = next(iter(update))
                update[first].flat[7] = 70000.0
            write_safetensors(r["output_model"], update, dtypes)
    elif action == "describe":
        result = {"num_samples": 123}
    else:
        tensors = {k: np.array(v) for k, v in read_safetensors(r["global_model"]).items()}
        dtypes = header_dtypes(r["global_model"])
        result = {"num_samples": 123, "metrics": {"loss": 0.5, "accuracy": 0.75, "train_loss": 0.25}}
        if action == "train":
            # the update is the global model plus one, written in reverse order
            update = {k: v + 1 for k, v in reversed(list(tensors.items()))}
            if mode == "wrong-shape":
                first = next(iter(tensors))
                update[first] = np.zeros((3, 3), dtype=np.float32)
            elif mode == "nan":
                first = next(iter(tensors))
                update[first] = update[first].copy()
                update[first].flat[7] = np.nan
            elif mode == "missing-tensor":
                update.pop(next(iter(tensors)))
            elif mode == "extra-tensor":
                update["extra.weight"] = np.zeros(2, dtype=np.float32)
                dtypes["extra.weight"] = "F32"
            elif mode == "wrong-dtype":
                first = next(iter(tensors))
                dtypes[first] = "F64"
            if mode != "no-update":
                write_safetensors(r["output_model"], update, dtypes)
        if mode == "bad-accuracy":
            result["metrics"]["accuracy"] = 1.5
        elif mode == "eval-seconds":
            result["metrics"]["eval_seconds"] = 0.001
        elif mode == "eval-seconds-inflated":
            result["metrics"]["eval_seconds"] = 86400.0
        elif mode == "train-seconds":
            result["metrics"]["train_seconds"] = 1.0
    if mode == "huge-result":
        with open(r["output_result"], "w") as f:
            f.write('{"num_samples": 1, "pad": "' + "x" * (2 << 20) + '"}')
        return
    with open(r["output_result"], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
