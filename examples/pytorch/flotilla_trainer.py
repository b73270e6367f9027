"""Flotilla's external-trainer contract (``bin/flotilla party --trainer-command``) for PyTorch.

Each round the party writes ``round.json`` and the global model (safetensors) into a fresh
directory and runs your command with the path of ``round.json`` as its last argument. This module
does the contract's side of that conversation, so a training script keeps three functions of its
own (as with NVIDIA FLARE's client API: receive the global model, train as before, send back):

    import flotilla_trainer as flotilla

    def describe(settings):            # -> number of training samples of this party
    def train(settings, model):        # -> flotilla.Training(num_samples, train_loss)
    def evaluate(settings, model):     # -> flotilla.Evaluation(num_samples, {"loss": .., "accuracy": ..})

    if __name__ == "__main__":
        flotilla.main(build_model, describe=describe, train=train, evaluate=evaluate)

``build_model(settings)`` returns a ``torch.nn.Module`` whose ``state_dict()`` has exactly the
global model's tensor names and shapes; the global weights are loaded with
``load_state_dict(strict=True)``. After ``train`` the module's state is written back with the
global model's names, shapes and dtypes. Files are written atomically (a temporary file in the
same directory, then a rename), so the party never reads half a file.

Uses only the standard library, torch and the ``safetensors`` package.
"""

import json
import math
import os
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

FORMAT = 1
ACTIONS = ("describe", "train", "evaluate")
# round.json is a few hundred bytes; anything much larger is not one the party wrote
MAX_ROUND_FILE_BYTES = 64 * 1024
# the party's own bounds on what it forwards to the server (update admission: 32 metrics, of which
# the party adds two, train_seconds and eval_seconds)
MAX_METRICS = 30
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_NUM_SAMPLES = 10 ** 8


class ContractError(Exception):
    """round.json, the global model or an output that breaks the contract; the message names the
    file (and the field or tensor) and what was wrong."""


@dataclass(frozen=True)
class Partition:
    """This party's share of the data: part ``index`` of ``count`` under ``scheme`` (``iid``,
    ``dirichlet:ALPHA`` or ``labels:K``), every party drawing the same split from ``seed``."""
    scheme: str
    index: int
    count: int
    seed: int


@dataclass(frozen=True)
class RoundSettings:
    """round.json, checked. Paths are absolute; ``global_model`` is None for ``describe``,
    ``output_model`` is None except for ``train``."""
    path: str
    action: str
    job: str
    party: str
    round: int
    attempt: int
    model_version: int
    model: str
    global_model: Optional[str]
    output_model: Optional[str]
    output_result: str
    epochs: int
    batch_size: int
    lr: float
    momentum: float
    proximal_mu: float
    seed: int
    data: Optional[str]
    test_data: Optional[str]
    partition: Optional[Partition]
    max_samples: Optional[int]
    eval_samples: Optional[int]
    # L2 weight decay as torch.optim.SGD's (the party's --weight-decay); 0 when a party before it sent none
    weight_decay: float = 0.0


@dataclass(frozen=True)
class Training:
    """What ``train`` returns: the samples it trained on (the weight of this update) and the mean
    loss of local training; ``metrics`` may add more (finite numbers)."""
    num_samples: int
    train_loss: float
    metrics: Dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` returns: the samples evaluated and the metrics ("loss" and "accuracy"
    for a classifier, "loss" and "r2" for a regression)."""
    num_samples: int
    metrics: Dict[str, float]


# ----------------------------------------------------------------------------------- round.json

def read_round(path):
    """Reads and checks round.json; raises ContractError naming the file and the field."""
    try:
        size = os.path.getsize(path)
        if size > MAX_ROUND_FILE_BYTES:
            raise ContractError(f"{path}: {size} bytes, more than the {MAX_ROUND_FILE_BYTES} a round file may have")
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except OSError as e:
        raise ContractError(f"{path}: cannot read the round file: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ContractError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})") from e
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise ContractError(f"{path}: not JSON ({e.msg} at line {e.lineno} column {e.colno})") from e
    if not isinstance(raw, dict):
        raise ContractError(f"{path}: must hold a JSON object, not {type(raw).__name__}")
    fields = _Fields(path, raw)

    fmt = fields.integer("format", minimum=1)
    if fmt != FORMAT:
        raise ContractError(f"{path}: format {fmt} is not supported by this helper (it reads format {FORMAT})")
    action = fields.string("action")
    if action not in ACTIONS:
        raise ContractError(f"{path}: action '{action}' is not one of {', '.join(ACTIONS)}")
    needs_model = action in ("train", "evaluate")
    return RoundSettings(
        path=os.path.abspath(path),
        action=action,
        job=fields.string("job"),
        party=fields.string("party"),
        round=fields.integer("round", minimum=0),
        attempt=fields.integer("attempt", minimum=0),
        model_version=fields.integer("model_version", minimum=0),
        model=fields.string("model", allow_empty=True),
        global_model=fields.path("global_model") if needs_model else fields.optional_path("global_model"),
        output_model=fields.path("output_model") if action == "train" else fields.optional_path("output_model"),
        output_result=fields.path("output_result"),
        epochs=fields.integer("epochs", minimum=1),
        batch_size=fields.integer("batch_size", minimum=1),
        lr=fields.number("lr", minimum=0.0, inclusive=False),
        momentum=fields.number("momentum", minimum=0.0),
        proximal_mu=fields.number("proximal_mu", minimum=0.0),
        seed=fields.integer("seed"),
        data=fields.optional_string("data"),
        test_data=fields.optional_string("test_data"),
        partition=fields.partition("partition"),
        max_samples=fields.optional_integer("max_samples", minimum=1),
        eval_samples=fields.optional_integer("eval_samples", minimum=1),
        weight_decay=fields.number("weight_decay", minimum=0.0) if "weight_decay" in raw else 0.0,
    )


class _Fields:
    """Typed access to round.json's fields; every refusal names the file and the field."""

    def __init__(self, file, raw):
        self.file = file
        self.raw = raw

    def _fail(self, name, what):
        raise ContractError(f"{self.file}: field '{name}' {what}")

    def _present(self, name):
        if name not in self.raw or self.raw[name] is None:
            self._fail(name, "is missing")
        return self.raw[name]

    def string(self, name, allow_empty=False):
        value = self._present(name)
        if not isinstance(value, str):
            self._fail(name, f"must be a string, not {json.dumps(value)}")
        if not value and not allow_empty:
            self._fail(name, "must not be empty")
        return value

    def optional_string(self, name):
        return None if self.raw.get(name) is None else self.string(name)

    def integer(self, name, minimum=None):
        value = self._present(name)
        # JSON true/false parse as bool, a subclass of int in Python
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(name, f"must be an integer, not {json.dumps(value)}")
        if minimum is not None and value < minimum:
            self._fail(name, f"must be at least {minimum}, not {value}")
        return value

    def optional_integer(self, name, minimum=None):
        return None if self.raw.get(name) is None else self.integer(name, minimum)

    def number(self, name, minimum=None, inclusive=True):
        value = self._present(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self._fail(name, f"must be a finite number, not {json.dumps(value)}")
        if minimum is not None and (value < minimum or (not inclusive and value == minimum)):
            self._fail(name, f"must be {'at least' if inclusive else 'greater than'} {minimum}, not {value}")
        return float(value)

    def path(self, name):
        value = self.string(name)
        if not os.path.isabs(value):
            self._fail(name, f"must be an absolute path, not '{value}'")
        return value

    def optional_path(self, name):
        return None if self.raw.get(name) is None else self.path(name)

    def partition(self, name):
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._fail(name, f"must be an object, not {json.dumps(value)}")
        inner = _Fields(self.file, value)
        try:
            scheme = inner.string("scheme")
            count = inner.integer("count", minimum=1)
            index = inner.integer("index", minimum=0)
            seed = inner.integer("seed")
        except ContractError as e:
            raise ContractError(str(e).replace("field '", f"field '{name}.", 1)) from None
        if index >= count:
            self._fail(name, f"has index {index}, outside 0..{count - 1}")
        return Partition(scheme=scheme, index=index, count=count, seed=seed)


# ------------------------------------------------------------------------------------ the model

def load_global_model(settings, model):
    """Loads the global model into ``model`` (``load_state_dict(strict=True)``) and returns its
    tensors as read, which :func:`write_update` uses as the layout to write back."""
    path = settings.global_model
    try:
        tensors = load_file(path)
    except (OSError, SafetensorError) as e:
        raise ContractError(f"{path}: cannot read the global model: {e}") from e
    expected = model.state_dict()
    missing = [name for name in expected if name not in tensors]
    unexpected = [name for name in tensors if name not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"the model has {_names(missing)} that the file lacks")
        if unexpected:
            parts.append(f"the file has {_names(unexpected)} that the model lacks")
        raise ContractError(f"{path}: the global model does not fit the module: {'; '.join(parts)}")
    for name, tensor in tensors.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise ContractError(f"{path}: tensor '{name}' has shape {list(tensor.shape)} in the file "
                                f"but {list(expected[name].shape)} in the model")
    model.load_state_dict(tensors, strict=True)
    return tensors


def write_update(settings, model, layout):
    """Writes ``model``'s state to ``output_model`` with exactly the names, shapes and dtypes of
    ``layout`` (the global model's tensors); values must be finite. Atomic."""
    path = settings.output_model
    state = model.state_dict()
    update = {}
    for name, reference in layout.items():
        if name not in state:
            raise ContractError(f"{path}: the trained model has no tensor '{name}' (the global model has)")
        tensor = state[name].detach().cpu()
        if tuple(tensor.shape) != tuple(reference.shape):
            raise ContractError(f"{path}: tensor '{name}' has shape {list(tensor.shape)} after training "
                                f"but {list(reference.shape)} in the global model")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise ContractError(f"{path}: tensor '{name}' has {bad} non-finite values (NaN or infinity) "
                                f"after training; nothing was written")
        if tensor.is_floating_point() and not reference.is_floating_point():
            tensor = tensor.round()
        # clone: tensors sharing storage (tied weights) cannot be saved, and the file must own its bytes
        update[name] = tensor.to(reference.dtype).contiguous().clone()
    _atomic_write(path, lambda tmp: save_file(update, tmp))


def _names(names, limit=5):
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ----------------------------------------------------------------------------------- result.json

def write_result(settings, num_samples, metrics=None):
    """Writes result.json: the sample count and, except for ``describe``, the metrics, checked as
    the party will check them."""
    path = settings.output_result
    if isinstance(num_samples, bool) or not isinstance(num_samples, int):
        raise ContractError(f"{path}: num_samples must be an integer, not {num_samples!r}")
    if not 1 <= num_samples <= MAX_NUM_SAMPLES:
        raise ContractError(f"{path}: num_samples must be in 1..{MAX_NUM_SAMPLES}, not {num_samples}")
    result = {"num_samples": num_samples}
    if settings.action == "describe":
        if metrics:
            raise ContractError(f"{path}: describe reports only num_samples, not metrics")
    else:
        result["metrics"] = _checked_metrics(path, settings.action, metrics or {})
    _atomic_write(path, lambda tmp: _write_json(tmp, result))


def _checked_metrics(path, action, metrics):
    if len(metrics) > MAX_METRICS:
        raise ContractError(f"{path}: {len(metrics)} metrics, more than the {MAX_METRICS} a result may hold "
                            f"(the server accepts 32, the party adds train_seconds and eval_seconds)")
    checked = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
            raise ContractError(f"{path}: metric name {name!r} must be lower case letters, digits and _, "
                                f"starting with a letter, at most 64 characters")
        if isinstance(value, torch.Tensor):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ContractError(f"{path}: metric '{name}' must be a finite number, not {value!r}")
        checked[name] = float(value)
    if action == "train" and "train_seconds" in checked:
        raise ContractError(f"{path}: metric 'train_seconds' is measured by the party around the command; "
                            f"leave it out")
    # what the party requires: the loss, the task's metric, and for train the training loss
    required = [("loss", 0.0, math.inf)] + ([("train_loss", 0.0, math.inf)] if action == "train" else [])
    if "accuracy" in checked or "r2" not in checked:
        required.append(("accuracy", 0.0, 1.0))
    else:
        required.append(("r2", -math.inf, 1.0))
    for name, low, high in required:
        if name not in checked:
            raise ContractError(f"{path}: metrics need '{name}' ({action} reports loss and accuracy, or loss and r2"
                                f"{', and train_loss' if action == 'train' else ''}); got {sorted(checked)}")
        if not low <= checked[name] <= high:
            raise ContractError(f"{path}: metric '{name}' is {checked[name]}, not in [{low}, {high}]")
    return checked


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, allow_nan=False)
        f.write("\n")


def _atomic_write(path, write):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------------------- driver

def run(settings, build_model, describe, train, evaluate):
    """Does one action of the contract with the user's functions."""
    if settings.action == "describe":
        write_result(settings, _count(settings, "describe", describe(settings)))
        return
    model = build_model(settings)
    if not isinstance(model, torch.nn.Module):
        raise ContractError(f"build_model returned {type(model).__name__}, not a torch.nn.Module")
    layout = load_global_model(settings, model)
    if settings.action == "evaluate":
        evaluation = _expect(evaluate(settings, model), Evaluation, "evaluate")
        write_result(settings, evaluation.num_samples, evaluation.metrics)
        return
    # train: the metrics of the global model on this party's test data come first, as the
    # built-in trainers report them, then local training; the party measures the whole run and
    # takes eval_seconds as the evaluation's share of it
    started = time.monotonic()
    before = _expect(evaluate(settings, model), Evaluation, "evaluate")
    eval_seconds = time.monotonic() - started
    training = _expect(train(settings, model), Training, "train")
    metrics = dict(before.metrics)
    metrics.update(training.metrics)
    metrics["train_loss"] = training.train_loss
    metrics["eval_seconds"] = eval_seconds
    write_update(settings, model, layout)
    write_result(settings, training.num_samples, metrics)


def _expect(value, kind, function):
    if not isinstance(value, kind):
        raise ContractError(f"{function} returned {type(value).__name__}, not flotilla_trainer.{kind.__name__}")
    return value


def _count(settings, function, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ContractError(f"{function} returned {value!r}, not the number of training samples (an int)")
    return value


def main(build_model, describe, train, evaluate, argv=None):
    """Entry point of a trainer script: the last argument is round.json. Exits 0 on success, 2 on
    a broken contract (one line on stderr naming the file and what was wrong), 1 on any other
    error (with its traceback, which the party logs)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("flotilla_trainer: expected the path of round.json as the last argument "
              "(the party appends it to --trainer-command)", file=sys.stderr)
        sys.exit(2)
    try:
        settings = read_round(argv[-1])
        run(settings, build_model, describe, train, evaluate)
    except ContractError as e:
        print(f"flotilla_trainer: {e}", file=sys.stderr)
        sys.exit(2)
    except Exception:  # noqa: BLE001 - the party shows the last lines of stderr
        traceback.print_exc()
        sys.exit(1)
    sys.exit(0)
