"""The Python client's models and local training (flock_client.models, flock_client.training).

Parity with tfjs itself is checked from TypeScript (apps/coordinator/src/interop/pythonModels.test.ts); these check
the manifests, the two engines against each other, fl-core's shuffle order, refusals and the round's delta.
"""

import unittest

import numpy as np

from flock_client.models import ModelRefused, bench_samples_per_second, build_model, torch_available
from flock_client.models.trainer import shuffle_in_place
from flock_client.training import privatize_delta, train_round
from flock_client.wire.rng import Mulberry32

MNIST = (28, 28, 1)
TABULAR = (1, 8, 1)
needs_torch = unittest.skipUnless(torch_available(), "PyTorch is not installed (apt install python3-torch)")


def random_weights(trainer, seed=0, scale=0.05):
    return np.random.default_rng(seed).normal(0, scale, trainer.num_values).astype(np.float32)


def sequential(*layers, input_shape=(6, 6, 1)):
    first = dict(layers[0][1], batch_input_shape=[None, *input_shape])
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": layers[0][0], "config": first}, *[{"class_name": k, "config": c} for k, c in layers[1:]]]}}


class ZooManifests(unittest.TestCase):
    def test_tensor_names_shapes_and_sizes_are_the_zoos(self):
        mlp = build_model("mnist-mlp", prefer="numpy")
        self.assertEqual(
            [(t["name"], t["shape"]) for t in mlp.manifest],
            [("fc1/kernel", [784, 200]), ("fc1/bias", [200]), ("fc2/kernel", [200, 200]), ("fc2/bias", [200]), ("logits/kernel", [200, 10]), ("logits/bias", [10])],
        )
        self.assertEqual(mlp.num_values, 199_210)
        self.assertEqual(build_model("mnist-cnn", prefer="numpy").num_values, 1_663_370)
        small = build_model("mnist-cnn-small", prefer="numpy")
        self.assertEqual(small.num_values, 5_258)
        self.assertEqual(small.manifest[0], {"name": "conv1/kernel", "shape": [3, 3, 1, 8], "dtype": "float32"})
        self.assertEqual(small.manifest[4]["shape"], [400, 10])
        tabular = build_model("tabular-mlp", input_shape=TABULAR, num_classes=3, prefer="numpy")
        self.assertEqual(tabular.manifest[0]["shape"], [8, 64])

    def test_a_manifest_that_is_not_the_models_is_refused_by_tensor_name(self):
        manifest = build_model("mnist-mlp", prefer="numpy").manifest
        with self.assertRaisesRegex(ModelRefused, 'weights lack the tensor "logits/bias"'):
            build_model("mnist-mlp", manifest[:-1])
        with self.assertRaisesRegex(ModelRefused, r'the tensor "fc1/kernel" \[784, 100\] where model mnist-mlp has "fc1/kernel" \[784, 200\]'):
            build_model("mnist-mlp", [{"name": "fc1/kernel", "shape": [784, 100]}, *manifest[1:]])
        with self.assertRaisesRegex(ModelRefused, '"resnet-152" is neither a zoo model'):
            build_model("resnet-152")


class Engines(unittest.TestCase):
    def test_weights_go_in_and_out_unchanged_in_tfjs_order(self):
        engines = ("torch", "numpy") if torch_available() else ("numpy",)
        for engine in engines:
            for name in ("mnist-mlp", "mnist-cnn-small"):
                trainer = build_model(name, prefer=engine)
                values = random_weights(trainer)
                trainer.set_weights(values)
                np.testing.assert_array_equal(trainer.get_weights(), values)
            with self.assertRaisesRegex(ValueError, "has 5258 parameters, the weights hold 3"):
                build_model("mnist-cnn-small", prefer=engine).set_weights(np.zeros(3, np.float32))

    def test_numpy_takes_a_large_batch_in_slices_with_the_same_result(self):
        rng = np.random.default_rng(8)
        x, labels = rng.random((150, 6, 6, 1), dtype=np.float32), rng.integers(0, 10, 150)
        results = []
        for slice_size in (64, 150):
            trainer = build_model("tabular-mlp", input_shape=(6, 6, 1), num_classes=10, prefer="numpy")
            trainer.predict_batch = slice_size
            trainer.set_weights(random_weights(trainer, 2, 0.2))
            loss = trainer.train(x, labels, {"epochs": 2, "batchSize": 150, "learningRate": 0.1, "optimizer": "momentum"}, proximal_mu=0.1)["loss"]
            results.append((loss, trainer.get_weights()))
        self.assertAlmostEqual(results[0][0], results[1][0], places=6)
        np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-6)

    @needs_torch
    def test_numpy_computes_what_torch_computes_for_every_zoo_model_and_optimizer(self):
        rng = np.random.default_rng(1)
        every = ("sgd", "momentum", "adam")
        # mnist-cnn's 1.6 million weights take seconds per optimizer on a shared CPU: its 'same' convolutions take one.
        for name, shape, classes, optimizers in (
            ("mnist-mlp", MNIST, 10, every),
            ("mnist-cnn-small", MNIST, 10, every),
            ("mnist-cnn", MNIST, 10, ("momentum",)),
            ("tabular-mlp", TABULAR, 3, every),
        ):
            torch_trainer = build_model(name, input_shape=shape, num_classes=classes)
            numpy_trainer = build_model(name, input_shape=shape, num_classes=classes, prefer="numpy")
            self.assertEqual((torch_trainer.engine, numpy_trainer.engine), ("torch", "numpy"))
            values = random_weights(torch_trainer)
            x = rng.random((6, *shape), dtype=np.float32)
            labels = rng.integers(0, classes, 6)
            for t in (torch_trainer, numpy_trainer):
                t.set_weights(values)
            np.testing.assert_allclose(numpy_trainer.predict(x), torch_trainer.predict(x), atol=1e-5, err_msg=name)
            for optimizer in optimizers:
                config = {"epochs": 2, "batchSize": 4, "learningRate": 0.01, "optimizer": optimizer}
                losses = []
                for t in (torch_trainer, numpy_trainer):
                    t.set_weights(values)
                    losses.append(t.train(x, labels, config, proximal_mu=0.1, seed=5)["loss"])
                self.assertAlmostEqual(losses[0], losses[1], places=4, msg=f"{name} {optimizer}")
                # Adam divides by the root of tiny second moments: allow it more than the plain steps.
                tolerance = 1e-3 if optimizer == "adam" else 2e-5
                np.testing.assert_allclose(numpy_trainer.get_weights(), torch_trainer.get_weights(), atol=tolerance, err_msg=f"{name} {optimizer}")

    def test_numpy_gradients_match_finite_differences_through_padding_pooling_and_activations(self):
        topology = sequential(
            ("Conv2D", {"name": "c", "filters": 2, "kernel_size": [2, 2], "strides": [2, 2], "padding": "same", "activation": "tanh"}),
            ("MaxPooling2D", {"name": "p", "pool_size": [2, 2], "strides": [1, 1], "padding": "same"}),
            ("Flatten", {"name": "f"}),
            ("Dense", {"name": "d", "units": 3, "activation": "sigmoid"}),
            ("Dense", {"name": "o", "units": 2, "activation": "softmax"}),
            input_shape=(5, 5, 1),
        )
        trainer = build_model("uploaded-0123456789ab", input_shape=(5, 5, 1), num_classes=2, topology=topology, prefer="numpy")
        values = random_weights(trainer, 3, 0.5).astype(np.float64)
        rng = np.random.default_rng(4)
        x = rng.random((3, 5, 5, 1), dtype=np.float32)
        labels = np.array([0, 1, 1])
        trainer.set_weights(values)
        trainer.train(x, labels, {"epochs": 1, "batchSize": 3, "learningRate": 1.0}, order="identity")
        gradient = values - trainer.get_weights()  # one SGD step with learning rate 1
        for i in rng.choice(trainer.num_values, 12, replace=False):
            losses = []
            for sign in (1, -1):
                moved = values.copy()
                moved[i] += sign * 1e-2
                trainer.set_weights(moved)
                losses.append(trainer.evaluate(x, labels)["loss"])
            self.assertAlmostEqual(gradient[i], (losses[0] - losses[1]) / 2e-2, places=3, msg=trainer.manifest and i)


class Training(unittest.TestCase):
    def test_batches_come_in_fl_cores_shuffle_order(self):
        # fl-core: shuffleInPlace(order 0..9, createRng(42)) twice gives these.
        order, rng = np.arange(10), Mulberry32(42)
        shuffle_in_place(order, rng)
        self.assertEqual(order.tolist(), [0, 7, 3, 5, 2, 1, 8, 9, 4, 6])
        shuffle_in_place(order, rng)
        self.assertEqual(order.tolist(), [6, 8, 5, 4, 0, 7, 1, 9, 3, 2])

    def test_every_engine_and_optimizer_learns_a_separable_table(self):
        rng = np.random.default_rng(2)
        x = rng.normal(size=(120, 8)).astype(np.float32)
        labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)
        engines = ("torch", "numpy") if torch_available() else ("numpy",)
        for engine in engines:
            for optimizer, lr in (("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)):
                trainer = build_model("tabular-mlp", input_shape=TABULAR, num_classes=3, prefer=engine)
                trainer.set_weights(random_weights(trainer, 6, 0.2))
                before = trainer.evaluate(x, labels)
                trainer.train(x, labels, {"epochs": 15, "batchSize": 16, "learningRate": lr, "optimizer": optimizer}, seed=1)
                after = trainer.evaluate(x, labels)
                self.assertLess(after["loss"], before["loss"] * 0.7, f"{engine} {optimizer}")
                self.assertGreater(after["accuracy"], 0.8, f"{engine} {optimizer}")

    def test_progress_is_reported_every_few_batches_and_can_stop_training(self):
        trainer = build_model("tabular-mlp", input_shape=TABULAR, num_classes=3, prefer="numpy")
        trainer.set_weights(random_weights(trainer))
        x, labels = np.zeros((50, 8), np.float32), np.zeros(50, np.int64)
        seen = []
        loss = trainer.train(x, labels, {"epochs": 2, "batchSize": 4, "learningRate": 0.1}, on_progress=seen.append, progress_every=5)["loss"]
        self.assertEqual([(p["epoch"], p["batch"]) for p in seen], [(1, 5), (1, 10), (1, 13), (2, 5), (2, 10), (2, 13)])
        self.assertEqual(seen[-1]["batches"], 13)
        self.assertAlmostEqual(seen[-1]["loss"], loss)

        def stop(progress):
            raise InterruptedError("the round closed")

        with self.assertRaises(InterruptedError):
            trainer.train(x, labels, {"epochs": 1, "batchSize": 4, "learningRate": 0.1}, on_progress=stop)
        self.assertIsNone(trainer.optimizer)

    def test_a_round_evaluates_the_global_model_then_returns_the_trained_delta(self):
        trainer = build_model("tabular-mlp", input_shape=TABULAR, num_classes=3, prefer="numpy")
        global_values = random_weights(trainer, 7, 0.2)
        rng = np.random.default_rng(3)
        x, labels = rng.normal(size=(20, 1, 8, 1)).astype(np.float32), rng.integers(0, 3, 20)
        held = (x[:5], labels[:5])
        trainer.set_weights(global_values)
        want_evaluation = trainer.evaluate(*held)
        result = train_round(trainer, global_values, x, labels, {"epochs": 1, "batchSize": 8, "learningRate": 0.1}, {"proximalMu": 0.01}, seed=9, evaluate_on=held)
        self.assertEqual(result["evaluation"], want_evaluation)
        self.assertEqual(result["numExamples"], 20)
        np.testing.assert_allclose(global_values + result["delta"], trainer.get_weights(), atol=1e-7)
        self.assertEqual(result["accuracy"], trainer.evaluate(x, labels)["accuracy"])

    def test_local_dp_clips_to_the_norm_then_adds_unseeded_noise(self):
        delta = np.full(10_000, 0.1, np.float32)  # norm 10
        clipped = privatize_delta(delta, {"clipNorm": 2.0})
        self.assertAlmostEqual(float(np.linalg.norm(clipped.astype(np.float64))), 2.0, places=5)
        self.assertIs(privatize_delta(delta, {"clipNorm": 50.0}), delta)
        first = privatize_delta(delta, {"clipNorm": 2.0, "noiseStd": 0.5})
        second = privatize_delta(delta, {"clipNorm": 2.0, "noiseStd": 0.5})
        self.assertAlmostEqual(float(np.std(first - clipped)), 0.5, delta=0.02)
        self.assertAlmostEqual(float(np.mean(first - clipped)), 0.0, delta=0.02)
        self.assertFalse(np.array_equal(first, second))
        self.assertEqual(first.dtype, np.float32)


class UploadedModels(unittest.TestCase):
    def test_layers_the_client_cannot_run_are_refused_by_name(self):
        frozen = sequential(("Flatten", {"name": "f"}), ("Dense", {"name": "d", "units": 2, "trainable": False}))
        cases = [
            ({"class_name": "Graph", "config": {}}, 'is a tfjs "Graph" model; the Python client runs Sequential models'),
            (frozen, 'its layer "d" \\(Dense\\) is frozen'),
            (sequential(("Dense", {"name": "d", "units": 2})), 'its layer "d" \\(Dense\\) takes \\[batch, 6, 6, 1\\]; the client runs Dense layers on flat rows only'),
            (sequential(("Flatten", {"name": "f"}), ("Dense", {"name": "d", "units": 2, "activation": "gelu"})), 'uses the activation "gelu"'),
            (sequential(("Conv2D", {"name": "c", "filters": 2, "kernel_size": 3, "dilation_rate": [2, 2]})), '"c" \\(Conv2D\\) is dilated'),
            (sequential(("LSTM", {"name": "rnn", "units": 2})), 'its layer "rnn" is a LSTM, which the client cannot map'),
            (None, "came without its topology"),
        ]
        for topology, message in cases:
            with self.assertRaisesRegex(ModelRefused, message):
                build_model("uploaded-0123456789ab", input_shape=(6, 6, 1), num_classes=2, topology=topology)
        with self.assertRaisesRegex(ModelRefused, r"takes \[batch, 6, 6, 1\]; the data here is \[batch, 28, 28, 1\]"):
            build_model("uploaded-0123456789ab", topology=frozen)

    def test_a_functional_model_runs_when_its_layers_form_one_chain(self):
        def functional(inbound_of_o, outputs=(("o", 0, 0),)):
            layers = [
                {"name": "px", "class_name": "InputLayer", "config": {"batch_input_shape": [None, 6, 6, 1], "name": "px"}, "inbound_nodes": []},
                {"name": "f", "class_name": "Flatten", "config": {"name": "f"}, "inbound_nodes": [[["px", 0, 0, {}]]]},
                {"name": "o", "class_name": "Dense", "config": {"name": "o", "units": 2}, "inbound_nodes": [[[inbound_of_o, 0, 0, {}]]]},
            ]
            return {"class_name": "Model", "config": {"layers": layers, "input_layers": [["px", 0, 0]], "output_layers": [list(o) for o in outputs]}}

        trainer = build_model("uploaded-0123456789ab", input_shape=(6, 6, 1), num_classes=2, topology=functional("f"), prefer="numpy")
        self.assertEqual([t["name"] for t in trainer.manifest], ["o/kernel", "o/bias"])
        with self.assertRaisesRegex(ModelRefused, 'its layer "o" does not simply take the output of the layer before it \\("f"\\)'):
            build_model("uploaded-0123456789ab", input_shape=(6, 6, 1), num_classes=2, topology=functional("px"))
        with self.assertRaisesRegex(ModelRefused, 'its output is not its last layer "o" alone'):
            build_model("uploaded-0123456789ab", input_shape=(6, 6, 1), num_classes=2, topology=functional("f", (("o", 0, 0), ("f", 0, 0))))

    def test_the_numpy_engine_sends_torch_only_activations_to_torch(self):
        topology = sequential(("Flatten", {"name": "f"}), ("Dense", {"name": "d", "units": 2, "activation": "elu"}))
        with self.assertRaisesRegex(ModelRefused, r'layer "d" uses the activation "elu", which the numpy trainer cannot compute: install PyTorch \(apt install python3-torch\)'):
            build_model("uploaded-0123456789ab", input_shape=(6, 6, 1), num_classes=2, topology=topology, prefer="numpy")


class Bench(unittest.TestCase):
    def test_measures_samples_per_second(self):
        self.assertGreater(bench_samples_per_second("mnist-mlp", batch=32, seconds=0.05, engine="numpy"), 0)


if __name__ == "__main__":
    unittest.main()
