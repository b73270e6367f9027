"""Writes torch.safetensors with PyTorch's safetensors in every dtype Flotilla supports, and beside
it <name>.f32: each tensor converted to float32 by PyTorch, raw little-endian, for comparison."""
import sys

import torch
from safetensors.torch import save_file

out = sys.argv[1]
torch.manual_seed(0)
base = torch.randn(3, 5) * 100
tensors = {
    "layer.f32": base.clone(),
    "layer.f16": base.to(torch.float16),
    "layer.bf16": base.to(torch.bfloat16),
    "layer.f64": base.double() / 7,
    "bn.i64": torch.tensor([-7, 0, 1, 2**40 + 1, 2**53 + 3], dtype=torch.int64),
    "bn.i32": (torch.arange(15, dtype=torch.int32) - 4).reshape(5, 3),
    "bn.num_batches_tracked": torch.tensor(42, dtype=torch.int64),
}
save_file(tensors, out + "/torch.safetensors", metadata={"format": "pt", "flotilla.model": "cnn"})
for name, t in tensors.items():
    t.to(torch.float32).contiguous().numpy().astype("<f4").tofile(out + "/" + name + ".f32")
