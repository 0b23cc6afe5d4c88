"""Training throughput of the Python engines (`python3 -m flock_client.models` prints a table)."""

import time
from typing import Sequence

import numpy as np

from .build import MNIST_INPUT, build_model
from .layers import ModelRefused


def bench_samples_per_second(model: str, batch: int = 32, seconds: float = 2.0, engine: str = "torch", input_shape: Sequence[int] = MNIST_INPUT) -> float:
    """Training throughput of `engine` on `model`: SGD steps on random data of batch `batch` for about `seconds`."""
    trainer = build_model(model, input_shape=input_shape, prefer=engine)
    if trainer.engine != engine:
        raise ModelRefused(f"the {engine} engine is not available here: install python3-torch to measure it")
    rng = np.random.default_rng(0)
    trainer.set_weights(rng.normal(0, 0.05, trainer.num_values).astype(np.float32))
    x = rng.random((batch,) + tuple(input_shape), dtype=np.float32)
    labels = rng.integers(0, trainer.num_classes, batch)
    config = {"epochs": 1, "batchSize": batch, "learningRate": 0.01}
    trainer.train(x, labels, config)  # warm-up: first-call allocations stay out of the figure
    samples, start = 0, time.perf_counter()
    # One step a call: a slow engine still stops near `seconds`.
    while time.perf_counter() - start < seconds:
        trainer.train(x, labels, config, order="identity")
        samples += batch
    return samples / (time.perf_counter() - start)
