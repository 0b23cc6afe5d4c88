"""The train and evaluate callbacks of `flock-py client`: the zoo model (or an uploaded one) the round names, trained on
the silo's examples with PyTorch where it imports, else numpy, as fl-core's RoundTrainer does a round."""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np
import requests

from .data import LocalData
from .models import ModelRefused, build_model, torch_available
from .queries import confusion_matrix_answer, device_answer, predicted_labels
from .session import RoundTask, Trained
from .training import train_round
from .wire import seed_from_text

TOPOLOGY_TIMEOUT_S = 30.0


def preferred_engine(prefer: str = "torch") -> str:
    """'torch' when asked for and importable, else 'numpy'."""
    return "torch" if prefer == "torch" and torch_available() else "numpy"


def backend_name(engine: str) -> str:
    """The engine as the hello names it (BackendName)."""
    return "pytorch" if engine == "torch" else "numpy"


def uploaded_topology_from(server: str) -> Callable[[str], object]:
    """Reads an uploaded model's topology from the coordinator's public model route."""

    def load(model: str) -> object:
        url = f"{server.rstrip('/')}/api/models/{model}/model.json"
        response = requests.get(url, timeout=TOPOLOGY_TIMEOUT_S)
        if not response.ok:
            raise ModelRefused(f"the coordinator did not send uploaded model {model} (HTTP {response.status_code}); check that it still has the model")
        return response.json().get("modelTopology")

    return load


class LocalTrainer:
    """Trains each round on `data.train`, evaluates each received model (and the final one) on `data.test` if any."""

    def __init__(self, data: Optional[LocalData], engine: str, topology: Callable[[str], object], log: Callable[[str], None] = lambda line: None):
        self.data = data
        self.engine = engine
        self._topology = topology
        self._log = log
        self._model = None
        self._model_key: Optional[tuple] = None

    def _trainer_for(self, task: RoundTask):
        if self.data is None:
            raise RuntimeError("this device holds no examples yet")
        key = (task.model, tuple((t["name"], tuple(t["shape"])) for t in task.manifest))
        if key != self._model_key:
            topology = self._topology(task.model) if task.model.startswith("uploaded-") else None
            self._model = build_model(
                task.model,
                task.manifest,
                input_shape=self.data.train.input_shape,
                num_classes=self.data.num_classes,
                topology=topology,
                prefer=self.engine,
            )
            self._model_key = key
        return self._model

    def train(self, task: RoundTask) -> Trained:
        trainer = self._trainer_for(task)
        train, test = self.data.train, self.data.test
        started = time.monotonic()
        result = train_round(
            trainer,
            task.weights,
            train.x,
            train.labels,
            task.config,
            instructions=task.instructions or None,
            seed=seed_from_text(f"{task.shard_id}/{task.round}"),
            evaluate_on=(test.x, test.labels) if test is not None else None,
            on_progress=lambda progress: _stop_if(task.cancelled),
        )
        seconds = time.monotonic() - started
        rate = result["numExamples"] * int(task.config.get("epochs", 1)) / max(seconds, 1e-9)
        self._log(
            f"round {task.round}: trained on {result['numExamples']:,} examples in {seconds:.1f} s ({rate:,.0f} examples/s on {trainer.engine}), "
            f"loss {result['loss']:.3f}, accuracy {result['accuracy'] * 100:.1f}%"
        )
        return Trained(
            num_examples=result["numExamples"],
            loss=result["loss"],
            accuracy=result["accuracy"],
            delta=result["delta"],
            evaluation=result.get("evaluation"),
        )

    def evaluate(self, task: RoundTask) -> Optional[dict]:
        if self.data is None or self.data.test is None:
            return None
        trainer = self._trainer_for(task)
        trainer.set_weights(task.weights)
        return trainer.evaluate(self.data.test.x, self.data.test.labels)

    def answer_query(self, query: dict, context: dict, model: Optional[RoundTask]) -> np.ndarray:
        """A federated-analytics query's answer over the examples this silo trains on (as the Node silo counts them);
        a confusion matrix scores `model`, the global model the query names."""
        if self.data is None:
            raise RuntimeError("this device holds no examples for the federation yet")
        train = self.data.train
        if model is None:
            return device_answer(query, context, train, self.data.num_classes)
        trainer = self._trainer_for(model)
        trainer.set_weights(model.weights)
        return confusion_matrix_answer(query, context, train, self.data.num_classes, lambda x: predicted_labels(trainer.predict, x))


class RoundCalledOff(Exception):
    """The coordinator called the round off while it trained."""


def _stop_if(cancelled) -> None:
    if cancelled.is_set():
        raise RoundCalledOff("the coordinator called the round off")
