"""The Fashion-MNIST example's data handling: idx files, the parties' splits, model names."""

import dataclasses
import gzip
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fashion_mnist as example  # noqa: E402
import flotilla_trainer as flotilla  # noqa: E402

LABELS = np.repeat(np.arange(10, dtype=np.uint8), 100)  # 1000 samples, 100 per class


def parts(scheme, count=3, seed=42, labels=LABELS):
    return [example.part_of(flotilla.Partition(scheme, i, count, seed), labels) for i in range(count)]


class PartitionTest(unittest.TestCase):

    def assertDisjointCover(self, split, n=len(LABELS)):
        joined = np.concatenate(split)
        self.assertEqual(len(joined), len(set(joined.tolist())), "parts overlap")
        self.assertEqual(list(range(n)), sorted(joined.tolist()))

    def test_iid_parts_are_disjoint_near_equal_and_cover_the_set(self):
        split = parts("iid")
        self.assertDisjointCover(split)
        self.assertEqual([333, 333, 334], [len(p) for p in split])

    def test_every_party_draws_the_same_split_from_the_seed_and_another_seed_differs(self):
        self.assertTrue(all(np.array_equal(a, b) for a, b in zip(parts("iid"), parts("iid"))))
        self.assertFalse(np.array_equal(parts("iid")[0], parts("iid", seed=43)[0]))

    def test_dirichlet_parts_are_disjoint_cover_and_skewed(self):
        split = parts("dirichlet:0.1", count=4)
        self.assertDisjointCover(split)
        self.assertTrue(all(len(p) >= 10 for p in split))
        # with alpha 0.1 some class is (nearly) absent from some party
        counts = [np.bincount(LABELS[p], minlength=10) for p in split]
        self.assertLess(min(c.min() for c in counts), 5)

    def test_labels_k_gives_each_party_exactly_k_classes(self):
        split = parts("labels:2", count=5)
        self.assertDisjointCover(split)
        self.assertEqual([2] * 5, [len(set(LABELS[p].tolist())) for p in split])

    def test_an_unknown_scheme_is_refused_with_the_accepted_ones(self):
        with self.assertRaises(flotilla.ContractError) as refused:
            parts("stratified")
        self.assertIn("'stratified' is not iid, dirichlet:ALPHA or labels:K", str(refused.exception))

    def test_no_partition_means_the_whole_set(self):
        self.assertEqual(len(LABELS), len(example.part_of(None, LABELS)))


class IdxTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, content, gz=False):
        path = os.path.join(self.tmp.name, name + (".gz" if gz else ""))
        with (gzip.open if gz else open)(path, "wb") as f:
            f.write(content)

    def test_a_gzipped_idx_file_is_read(self):
        self.write("labels", bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]), gz=True)
        self.assertEqual([7, 8, 9], example.read_idx(self.tmp.name, "labels").tolist())

    def test_a_truncated_file_says_how_many_bytes_it_promised(self):
        self.write("images", bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(5))
        with self.assertRaises(flotilla.ContractError) as refused:
            example.read_idx(self.tmp.name, "images")
        self.assertIn("header promises 8 bytes of data for shape [2, 2, 2], the file holds 5", str(refused.exception))

    def test_a_missing_file_names_the_directory(self):
        with self.assertRaises(flotilla.ContractError) as refused:
            example.read_idx(self.tmp.name, example.TRAIN_LABELS)
        self.assertIn("train-labels-idx1-ubyte[.gz]: no such file", str(refused.exception))


def write_idx(directory, name, array):
    """An idx file of unsigned bytes, gzipped, as the Debian package ships them."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(os.path.join(directory, name + ".gz"), "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


class TrainingTest(unittest.TestCase):
    """The example's three functions on a small synthetic Fashion-MNIST-shaped set (90 train, 40 test images)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(0)
        for prefix, n in (("train", 90), ("t10k", 40)):
            labels = np.arange(n) % 10
            # each class a brighter band of rows, plus noise: learnable in a few steps
            images = rng.integers(0, 60, (n, 28, 28))
            for i, c in enumerate(labels):
                images[i, c * 2:c * 2 + 3, :] = 250
            write_idx(self.tmp.name, f"{prefix}-images-idx3-ubyte", images)
            write_idx(self.tmp.name, f"{prefix}-labels-idx1-ubyte", labels)
        self.settings = flotilla.RoundSettings(
            path="/r/round.json", action="train", job="j", party="p", round=1, attempt=1, model_version=0,
            model="mlp:784-32-10", global_model="/r/g", output_model="/r/u", output_result="/r/r", epochs=3,
            batch_size=8, lr=0.05, momentum=0.9, proximal_mu=0.0, seed=5, data=self.tmp.name, test_data=None,
            partition=flotilla.Partition("iid", 1, 3, 42), max_samples=None, eval_samples=None)

    def tearDown(self):
        self.tmp.cleanup()

    def with_(self, **changes):
        return dataclasses.replace(self.settings, **changes)

    def test_describe_and_train_count_this_partys_part_capped_by_max_samples(self):
        self.assertEqual(30, example.describe(self.settings))
        self.assertEqual(12, example.describe(self.with_(max_samples=12)))
        model = example.build_model(self.settings.model)
        self.assertEqual(12, example.train(self.with_(max_samples=12), model).num_samples)

    def test_training_lowers_the_loss_on_held_out_images(self):
        torch.manual_seed(1)
        model = example.build_model(self.settings.model)
        before = example.evaluate(self.settings, model).metrics["loss"]
        example.train(self.with_(partition=None, epochs=5), model)
        after = example.evaluate(self.settings, model).metrics
        self.assertLess(after["loss"], before * 0.5)
        self.assertGreater(after["accuracy"], 0.5)

    def test_the_proximal_term_keeps_the_weights_near_the_global_model(self):
        def drift(mu):
            torch.manual_seed(1)
            model = example.build_model(self.settings.model)
            start = [p.detach().clone() for p in model.parameters()]
            example.train(self.with_(proximal_mu=mu), model)
            return sum(float(((p - s) ** 2).sum()) for p, s in zip(model.parameters(), start))

        self.assertLess(drift(10.0), drift(0.0) * 0.5)

    def test_weight_decay_shrinks_the_trained_weights_as_torch_sgds(self):
        def norm_and_model(weight_decay):
            torch.manual_seed(1)
            model = example.build_model(self.settings.model)
            example.train(self.with_(weight_decay=weight_decay), model)
            return sum(float((p ** 2).sum()) for p in model.parameters()), model

        plain, _ = norm_and_model(0.0)
        decayed, model = norm_and_model(0.5)
        self.assertLess(decayed, plain * 0.9)
        # the same as torch.optim.SGD(weight_decay=...) on the same batches: the example passes it through
        torch.manual_seed(1)
        reference = example.build_model(self.settings.model)
        images, labels = example.read_set(self.settings.data, example.TRAIN_IMAGES, example.TRAIN_LABELS)
        indices = example.training_indices(self.settings)
        x = example.as_inputs(images[indices], reference)
        y = torch.from_numpy(labels[indices].astype(np.int64))
        optimizer = torch.optim.SGD(reference.parameters(), lr=self.settings.lr, momentum=self.settings.momentum,
                                    weight_decay=0.5)
        generator = torch.Generator().manual_seed(self.settings.seed)
        reference.train()
        for _ in range(self.settings.epochs):
            for batch in torch.randperm(len(y), generator=generator).split(self.settings.batch_size):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(reference(x[batch]), y[batch]).backward()
                optimizer.step()
        for name, value in reference.state_dict().items():
            self.assertTrue(torch.equal(value, model.state_dict()[name]), name)

    def test_evaluation_takes_the_first_eval_samples_test_images(self):
        model = example.build_model(self.settings.model)
        self.assertEqual(40, example.evaluate(self.settings, model).num_samples)
        self.assertEqual(7, example.evaluate(self.with_(eval_samples=7), model).num_samples)

    def test_the_same_seed_trains_the_same_weights(self):
        def trained():
            torch.manual_seed(1)
            model = example.build_model(self.settings.model)
            example.train(self.settings, model)
            return model.state_dict()

        first, second = trained(), trained()
        self.assertTrue(all(torch.equal(first[k], second[k]) for k in first))


class ModelTest(unittest.TestCase):

    def test_the_mlp_spec_names_its_widths(self):
        model = example.build_model("mlp:784-64-10")
        self.assertEqual({"fc1.weight": [64, 784], "fc1.bias": [64], "fc2.weight": [10, 64], "fc2.bias": [10]},
                         {k: list(v.shape) for k, v in model.state_dict().items()})

    def test_an_unknown_model_asks_for_model(self):
        with self.assertRaises(flotilla.ContractError) as refused:
            example.build_model("resnet20")
        self.assertIn("pass --model", str(refused.exception))


if __name__ == "__main__":
    unittest.main()
