"""The helper's side of the --trainer-command contract: what it accepts, what it refuses and how
it says so. Run with Debian's Python: /usr/bin/python3 -m unittest discover -s examples/pytorch/tests"""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

import torch
from safetensors.torch import load_file, save_file
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import flotilla_trainer as flotilla  # noqa: E402


class WithBatchNorm(nn.Module):
    """Has an integer buffer (num_batches_tracked, I64 with shape []) besides float parameters."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))


class RoundDirectory(unittest.TestCase):
    """A fresh round directory with a global model of WithBatchNorm and a round.json for it."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.global_model = os.path.join(self.dir, "global.safetensors")
        torch.manual_seed(3)
        self.model_state = {k: v.clone().contiguous() for k, v in WithBatchNorm().state_dict().items()}
        save_file(self.model_state, self.global_model)

    def tearDown(self):
        self.tmp.cleanup()

    def round_json(self, action="train", **changes):
        value = {
            "format": 1, "action": action, "job": "fmnist", "party": "alice", "round": 3, "attempt": 1,
            "model_version": 2, "model": "", "global_model": self.global_model,
            "output_model": os.path.join(self.dir, "update.safetensors"),
            "output_result": os.path.join(self.dir, "result.json"),
            "epochs": 1, "batch_size": 32, "lr": 0.01, "momentum": 0.9, "proximal_mu": 0.0, "seed": 123456789,
            "data": "/data", "test_data": None, "partition": {"scheme": "iid", "index": 0, "count": 3, "seed": 42},
            "max_samples": None, "eval_samples": None, "weight_decay": 0.0,
        }
        for key, new in changes.items():
            if new is REMOVE:
                del value[key]
            else:
                value[key] = new
        return value

    def write_round(self, value, name="round.json"):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(value if isinstance(value, str) else json.dumps(value))
        return path

    def settings(self, action="train", **changes):
        return flotilla.read_round(self.write_round(self.round_json(action, **changes)))

    def assertRefused(self, message_part, function, *args, **kwargs):
        with self.assertRaises(flotilla.ContractError) as refused:
            function(*args, **kwargs)
        self.assertIn(message_part, str(refused.exception))
        return str(refused.exception)


REMOVE = object()


class ReadRoundTest(RoundDirectory):

    def test_a_round_file_of_the_contract_is_read_with_every_field(self):
        settings = self.settings(max_samples=500, eval_samples=1000, test_data="/test")
        self.assertEqual(("train", "fmnist", "alice", 3, 1, 2), (settings.action, settings.job, settings.party,
                                                                 settings.round, settings.attempt, settings.model_version))
        self.assertEqual((1, 32, 0.01, 0.9, 0.0, 123456789),
                         (settings.epochs, settings.batch_size, settings.lr, settings.momentum, settings.proximal_mu,
                          settings.seed))
        self.assertEqual(flotilla.Partition("iid", 0, 3, 42), settings.partition)
        self.assertEqual((500, 1000, "/test", "/data"),
                         (settings.max_samples, settings.eval_samples, settings.test_data, settings.data))
        self.assertEqual(self.global_model, settings.global_model)
        self.assertEqual(0.0, settings.weight_decay)

    def test_weight_decay_is_read_and_a_round_file_without_it_means_none(self):
        self.assertEqual(1e-4, self.settings(weight_decay=1e-4).weight_decay)
        self.assertEqual(0.0, self.settings(weight_decay=REMOVE).weight_decay)
        self.assertRefused("field 'weight_decay' must be at least 0.0, not -0.1", self.settings, weight_decay=-0.1)
        self.assertRefused("field 'weight_decay' must be a finite number, not \"x\"", self.settings, weight_decay="x")

    def test_describe_needs_neither_a_global_model_nor_an_output_model(self):
        settings = self.settings("describe", global_model=REMOVE, output_model=REMOVE)
        self.assertIsNone(settings.global_model)
        self.assertIsNone(settings.output_model)

    def test_a_missing_field_is_named_with_the_file(self):
        path = self.write_round(self.round_json(epochs=REMOVE))
        message = self.assertRefused("field 'epochs' is missing", flotilla.read_round, path)
        self.assertTrue(message.startswith(path + ": "), message)

    def test_train_without_an_output_model_is_refused(self):
        self.assertRefused("field 'output_model' is missing", self.settings, "train", output_model=None)

    def test_evaluate_without_a_global_model_is_refused(self):
        self.assertRefused("field 'global_model' is missing", self.settings, "evaluate", global_model=REMOVE)

    def test_wrong_types_are_named_with_the_value(self):
        self.assertRefused("field 'epochs' must be an integer, not \"2\"", self.settings, epochs="2")
        self.assertRefused("field 'round' must be an integer, not true", self.settings, round=True)
        self.assertRefused("field 'lr' must be a finite number, not \"fast\"", self.settings, lr="fast")
        self.assertRefused("field 'job' must be a string, not 7", self.settings, job=7)

    def test_out_of_range_numbers_are_refused(self):
        self.assertRefused("field 'epochs' must be at least 1, not 0", self.settings, epochs=0)
        self.assertRefused("field 'lr' must be greater than 0.0, not 0.0", self.settings, lr=0.0)
        self.assertRefused("field 'momentum' must be at least 0.0, not -0.5", self.settings, momentum=-0.5)
        self.assertRefused("field 'eval_samples' must be at least 1, not 0", self.settings, eval_samples=0)

    def test_non_finite_numbers_written_by_pythons_json_are_refused(self):
        path = self.write_round(json.dumps(self.round_json()).replace('"lr": 0.01', '"lr": NaN'))
        self.assertRefused("field 'lr' must be a finite number", flotilla.read_round, path)

    def test_an_unknown_action_or_format_is_refused(self):
        self.assertRefused("action 'predict' is not one of describe, train, evaluate", self.settings, "predict")
        self.assertRefused("format 2 is not supported by this helper", self.settings, format=2)

    def test_relative_paths_are_refused(self):
        self.assertRefused("field 'output_result' must be an absolute path, not 'result.json'",
                           self.settings, output_result="result.json")

    def test_partition_fields_are_checked_and_named(self):
        self.assertRefused("field 'partition.count' must be at least 1, not 0", self.settings,
                           partition={"scheme": "iid", "index": 0, "count": 0, "seed": 1})
        self.assertRefused("field 'partition' has index 3, outside 0..2", self.settings,
                           partition={"scheme": "iid", "index": 3, "count": 3, "seed": 1})
        self.assertRefused("field 'partition.seed' is missing", self.settings,
                           partition={"scheme": "iid", "index": 0, "count": 3})
        self.assertIsNone(self.settings(partition=None).partition)

    def test_a_file_that_is_not_json_names_the_line(self):
        path = self.write_round('{"format": 1,\n "action": }')
        self.assertRefused(path + ": not JSON (Expecting value at line 2 column 12)", flotilla.read_round, path)

    def test_a_json_array_is_refused(self):
        path = self.write_round("[1, 2]")
        self.assertRefused("must hold a JSON object, not list", flotilla.read_round, path)

    def test_an_oversized_round_file_is_refused_before_it_is_parsed(self):
        path = self.write_round(" " * (flotilla.MAX_ROUND_FILE_BYTES + 1) + "{}")
        self.assertRefused("more than the 65536 a round file may have", flotilla.read_round, path)

    def test_a_missing_round_file_is_named(self):
        missing = os.path.join(self.dir, "nope.json")
        self.assertRefused(missing + ": cannot read the round file", flotilla.read_round, missing)


class GlobalModelTest(RoundDirectory):

    def test_the_global_model_is_loaded_into_the_module(self):
        model = WithBatchNorm()
        flotilla.load_global_model(self.settings(), model)
        for name, tensor in self.model_state.items():
            self.assertTrue(torch.equal(tensor, model.state_dict()[name]), name)

    def test_a_tensor_the_module_lacks_or_misses_is_named(self):
        state = dict(self.model_state)
        del state["bn.running_var"]
        state["extra.weight"] = torch.zeros(2)
        save_file(state, self.global_model)
        message = self.assertRefused("does not fit the module", flotilla.load_global_model, self.settings(),
                                     WithBatchNorm())
        self.assertIn("the model has 'bn.running_var' that the file lacks", message)
        self.assertIn("the file has 'extra.weight' that the model lacks", message)

    def test_a_tensor_of_another_shape_is_named_with_both_shapes(self):
        state = dict(self.model_state)
        state["fc.weight"] = torch.zeros(2, 4)
        save_file(state, self.global_model)
        self.assertRefused("tensor 'fc.weight' has shape [2, 4] in the file but [2, 3] in the model",
                           flotilla.load_global_model, self.settings(), WithBatchNorm())

    def test_a_file_that_is_not_safetensors_is_named(self):
        with open(self.global_model, "wb") as f:
            f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00not a header")
        self.assertRefused(self.global_model + ": cannot read the global model", flotilla.load_global_model,
                           self.settings(), WithBatchNorm())


class UpdateTest(RoundDirectory):

    def test_the_update_keeps_the_global_models_names_shapes_and_dtypes(self):
        state = dict(self.model_state)
        state["fc.weight"] = state["fc.weight"].to(torch.float16)
        save_file(state, self.global_model)
        settings = self.settings()
        model = WithBatchNorm()
        layout = flotilla.load_global_model(settings, model)
        with torch.no_grad():
            model.fc.weight.add_(1.0)
        model.bn.num_batches_tracked += 7

        flotilla.write_update(settings, model, layout)

        update = load_file(settings.output_model)
        self.assertEqual(set(state), set(update))
        for name, tensor in state.items():
            self.assertEqual((tensor.dtype, tensor.shape), (update[name].dtype, update[name].shape), name)
        self.assertTrue(torch.allclose(update["fc.weight"].float(), state["fc.weight"].float() + 1, atol=1e-3))
        self.assertEqual(7, int(update["bn.num_batches_tracked"]))
        self.assertEqual(["global.safetensors", "round.json", "update.safetensors"], sorted(os.listdir(self.dir)))

    def test_non_finite_weights_are_refused_and_nothing_is_written(self):
        settings = self.settings()
        model = WithBatchNorm()
        layout = flotilla.load_global_model(settings, model)
        with torch.no_grad():
            model.fc.bias[0] = float("nan")
            model.fc.bias[1] = float("inf")
        self.assertRefused("tensor 'fc.bias' has 2 non-finite values", flotilla.write_update, settings, model, layout)
        self.assertFalse(os.path.exists(settings.output_model))

    def test_a_module_that_lost_a_tensor_is_refused(self):
        settings = self.settings()
        layout = flotilla.load_global_model(settings, WithBatchNorm())
        self.assertRefused("the trained model has no tensor 'bn.weight'", flotilla.write_update, settings,
                           nn.Linear(3, 2), {"bn.weight": layout["bn.weight"]})


class ResultTest(RoundDirectory):

    def test_the_result_holds_the_count_and_metrics_as_floats(self):
        settings = self.settings()
        flotilla.write_result(settings, 20000, {"loss": torch.tensor(0.5), "accuracy": 1, "train_loss": 0.25})
        with open(settings.output_result, encoding="utf-8") as f:
            self.assertEqual({"num_samples": 20000, "metrics": {"loss": 0.5, "accuracy": 1.0, "train_loss": 0.25}},
                             json.load(f))

    def test_a_regression_reports_r2_instead_of_accuracy(self):
        settings = self.settings("evaluate")
        flotilla.write_result(settings, 10, {"loss": 3.5, "r2": -0.2})
        with open(settings.output_result, encoding="utf-8") as f:
            self.assertEqual({"loss": 3.5, "r2": -0.2}, json.load(f)["metrics"])

    def test_the_metrics_the_party_requires_are_required_here(self):
        self.assertRefused("metrics need 'train_loss'", flotilla.write_result, self.settings("train"), 5,
                           {"loss": 1.0, "accuracy": 0.5})
        self.assertRefused("metrics need 'loss'", flotilla.write_result, self.settings("evaluate"), 5,
                           {"accuracy": 0.5})
        self.assertRefused("metrics need 'accuracy'", flotilla.write_result, self.settings("evaluate"), 5,
                           {"loss": 1.0, "f1": 0.5})
        self.assertRefused("metric 'accuracy' is 1.5, not in [0.0, 1.0]", flotilla.write_result,
                           self.settings("evaluate"), 5, {"loss": 1.0, "accuracy": 1.5})
        self.assertRefused("describe reports only num_samples", flotilla.write_result,
                           self.settings("describe", global_model=REMOVE), 5, {"loss": 1.0})

    def test_bad_counts_and_metrics_are_refused_before_anything_is_written(self):
        settings = self.settings()
        self.assertRefused("num_samples must be in 1..100000000, not 0", flotilla.write_result, settings, 0)
        self.assertRefused("num_samples must be an integer, not 2.5", flotilla.write_result, settings, 2.5)
        self.assertRefused("metric 'loss' must be a finite number, not nan", flotilla.write_result, settings, 5,
                           {"loss": float("nan")})
        self.assertRefused("must be lower case letters, digits and _", flotilla.write_result, settings, 5,
                           {"x" * 65: 1.0})
        self.assertRefused("metric name 'Top-5' must be lower case", flotilla.write_result, settings, 5,
                           {"Top-5": 1.0})
        self.assertRefused("31 metrics, more than the 30 a result may hold", flotilla.write_result, settings, 5,
                           {f"m{i}": 1.0 for i in range(31)})
        self.assertRefused("metric 'train_seconds' is measured by the party", flotilla.write_result, settings, 5,
                           {"loss": 1.0, "accuracy": 0.5, "train_loss": 1.0, "train_seconds": 2.0})
        self.assertFalse(os.path.exists(settings.output_result))


def build(settings):
    return WithBatchNorm()


def counted(settings):
    return 120


def trained(settings, model):
    with torch.no_grad():
        model.fc.weight.mul_(2)
    return flotilla.Training(num_samples=100, train_loss=0.25)


def evaluated(settings, model):
    return flotilla.Evaluation(num_samples=50, metrics={"loss": 1.5, "accuracy": 0.4})


class MainTest(RoundDirectory):

    def call_main(self, path, **functions):
        chosen = dict(describe=counted, train=trained, evaluate=evaluated)
        chosen.update(functions)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), self.assertRaises(SystemExit) as exit_:
            flotilla.main(build, argv=["--ignored", path], **chosen)
        return exit_.exception.code, stderr.getvalue()

    def result(self):
        with open(os.path.join(self.dir, "result.json"), encoding="utf-8") as f:
            return json.load(f)

    def test_describe_writes_the_sample_count(self):
        code, _ = self.call_main(self.write_round(self.round_json("describe", global_model=REMOVE)))
        self.assertEqual(0, code)
        self.assertEqual({"num_samples": 120}, self.result())

    def test_train_writes_the_update_and_the_global_models_metrics_with_the_training_loss(self):
        code, _ = self.call_main(self.write_round(self.round_json("train")))
        self.assertEqual(0, code)
        result = self.result()
        # the seconds evaluate took, measured around it: the party counts the rest of the run as training
        eval_seconds = result["metrics"].pop("eval_seconds")
        self.assertGreaterEqual(eval_seconds, 0.0)
        self.assertEqual({"num_samples": 100, "metrics": {"loss": 1.5, "accuracy": 0.4, "train_loss": 0.25}}, result)
        update = load_file(os.path.join(self.dir, "update.safetensors"))
        self.assertTrue(torch.equal(update["fc.weight"], self.model_state["fc.weight"] * 2))

    def test_evaluate_writes_the_metrics_and_no_update(self):
        code, _ = self.call_main(self.write_round(self.round_json("evaluate", output_model=REMOVE)))
        self.assertEqual(0, code)
        self.assertEqual({"num_samples": 50, "metrics": {"loss": 1.5, "accuracy": 0.4}}, self.result())
        self.assertFalse(os.path.exists(os.path.join(self.dir, "update.safetensors")))

    def test_a_broken_contract_exits_2_with_one_line_naming_the_file(self):
        path = self.write_round(self.round_json(batch_size=0))
        code, stderr = self.call_main(path)
        self.assertEqual(2, code)
        self.assertEqual(f"flotilla_trainer: {path}: field 'batch_size' must be at least 1, not 0\n", stderr)

    def test_a_function_returning_the_wrong_thing_exits_2_naming_it(self):
        code, stderr = self.call_main(self.write_round(self.round_json()), train=lambda s, m: 0.5)
        self.assertEqual(2, code)
        self.assertIn("train returned float, not flotilla_trainer.Training", stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "result.json")))

    def test_an_exception_in_user_code_exits_1_with_its_traceback(self):
        def failing(settings, model):
            raise RuntimeError("out of memory on the GPU")

        code, stderr = self.call_main(self.write_round(self.round_json()), train=failing)
        self.assertEqual(1, code)
        self.assertIn("Traceback", stderr)
        self.assertIn("RuntimeError: out of memory on the GPU", stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "update.safetensors")))

    def test_no_round_file_argument_exits_2(self):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), self.assertRaises(SystemExit) as exit_:
            flotilla.main(build, counted, trained, evaluated, argv=[])
        self.assertEqual(2, exit_.exception.code)
        self.assertIn("expected the path of round.json", stderr.getvalue())


if __name__ == "__main__":
    unittest.main()
