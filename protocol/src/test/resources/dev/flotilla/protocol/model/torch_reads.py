"""Loads ours.safetensors (written by Flotilla) with safetensors.torch.load_file and checks every
tensor against source.f32 (the float32 values Flotilla converted from, raw little-endian, in file
order) converted by PyTorch: floating dtypes with .to(dtype), integer ones with torch.round first."""
import json
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file

d = sys.argv[1]
expected = json.loads(sys.argv[2])  # {"tensors": [[name, dtype, shape], ...], "metadata": {...}}
dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}
loaded = load_file(d + "/ours.safetensors")
with safe_open(d + "/ours.safetensors", framework="pt") as f:
    metadata = f.metadata()
assert metadata == expected["metadata"], metadata
assert sorted(loaded) == sorted(t[0] for t in expected["tensors"]), sorted(loaded)
source = torch.from_numpy(np.fromfile(d + "/source.f32", dtype="<f4"))
at = 0
for name, dtype, shape in expected["tensors"]:
    n = int(np.prod(shape)) if shape else 1
    src = source[at:at + n].reshape(shape)
    at += n
    want = torch.round(src).to(dtypes[dtype]) if dtype in ("I64", "I32") else src.to(dtypes[dtype])
    got = loaded[name]
    assert got.dtype == dtypes[dtype], (name, got.dtype)
    assert list(got.shape) == shape, (name, got.shape)
    assert torch.equal(got, want), (name, got, want)
print("OK", len(loaded))
