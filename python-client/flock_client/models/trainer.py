"""What both engines share: the model's manifest, input shaping, evaluation and the epoch loop of fl-core's trainEpochs."""

from typing import Callable, Dict, Optional, Sequence

import numpy as np

from ..wire.rng import Mulberry32
from .layers import Architecture, shape_text

OPTIMIZERS = ("sgd", "momentum", "adam")
#: SGD's momentum coefficient when a federation asks for `momentum` (fl-core's MOMENTUM).
MOMENTUM = 0.9
ADAM_BETAS = (0.9, 0.999)
#: tfjs's Adam takes its epsilon from the backend: 1e-7 on float32 backends (torch's default is 1e-8).
ADAM_EPSILON = 1e-7


def shuffle_in_place(order: np.ndarray, rng: Mulberry32) -> None:
    """fl-core's shuffleInPlace (Fisher-Yates from the end), draw for draw."""
    n = len(order)
    if n < 2:
        return
    sizes = np.arange(n, 1, -1, dtype=np.float64)
    picks = np.floor(rng.draws(n - 1) * sizes).astype(np.int64).tolist()
    items = order.tolist()
    for i, j in zip(range(n - 1, 0, -1), picks):
        items[i], items[j] = items[j], items[i]
    order[:] = items


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-example softmax cross-entropy of int class labels, computed stably in float64."""
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels]


class Trainer:
    """One model on one engine: weights in and out in tfjs's manifest order and layouts, training and evaluation."""

    engine = ""
    #: Examples per forward pass in predict and evaluate (fl-core's evaluateTensors takes 500).
    predict_batch = 500

    def __init__(self, architecture: Architecture, model: str):
        self.architecture = architecture
        self.model = model
        self.manifest = architecture.manifest()
        self.num_values = sum(int(np.prod(t["shape"])) for t in self.manifest)
        self.num_classes = architecture.output_shape[0]

    # ---- engine-specific ----

    def set_weights(self, values: np.ndarray) -> None:
        raise NotImplementedError

    def get_weights(self) -> np.ndarray:
        raise NotImplementedError

    def _logits(self, x: np.ndarray) -> np.ndarray:
        """Inference-mode logits of one batch of shaped inputs."""
        raise NotImplementedError

    def _begin(self, config: dict, proximal_mu: float) -> None:
        """Fresh optimizer state for a round; anchors the proximal term at the weights held now."""
        raise NotImplementedError

    def _step(self, x: np.ndarray, labels: np.ndarray) -> float:
        """One optimizer step on a batch; returns the batch's mean loss (with the proximal term) before the step."""
        raise NotImplementedError

    def _end(self) -> None:
        """Frees the round's optimizer state."""

    # ---- shared ----

    def _check_values(self, values: np.ndarray) -> np.ndarray:
        values = np.ascontiguousarray(np.asarray(values, dtype=np.float32).ravel())
        if values.size != self.num_values:
            raise ValueError(f"model {self.model} has {self.num_values} parameters, the weights hold {values.size}")
        return values

    def shaped(self, x: np.ndarray) -> np.ndarray:
        """`x` as [n, *input shape] float32: NHWC images, or rows of features reshaped to the model's input."""
        if np.asarray(x).dtype == np.uint8:
            raise ValueError("the examples are raw pixels (uint8); pass them scaled to [0, 1] as float32, as a wire Dataset's .x gives them")
        x = np.asarray(x, dtype=np.float32)
        want = self.architecture.input_shape
        size = int(np.prod(want))
        if x.ndim < 1 or int(np.prod(x.shape[1:])) != size:
            raise ValueError(f"model {self.model} takes {shape_text(want)}; the examples are {shape_text(tuple(x.shape[1:]))}")
        return np.ascontiguousarray(x.reshape((x.shape[0],) + tuple(want)))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The outputs [n, classes]: logits for the zoo's models (the loss applies softmax, as fl-core's does)."""
        x = self.shaped(x)
        parts = [self._logits(x[i : i + self.predict_batch]) for i in range(0, len(x), self.predict_batch)]
        return np.concatenate(parts) if parts else np.zeros((0, self.num_classes), np.float32)

    def evaluate(self, x: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
        """Mean softmax cross-entropy and accuracy on the examples, as fl-core's evaluateModel reports them."""
        labels = _labels(labels, self.num_classes)
        logits = self.predict(x)
        count = len(labels)
        if count == 0:
            return {"loss": float("nan"), "accuracy": float("nan"), "examples": 0}
        loss = float(softmax_cross_entropy(logits, labels).sum() / count)
        accuracy = float((logits.argmax(axis=1) == labels).sum() / count)
        return {"loss": loss, "accuracy": accuracy, "examples": count}

    def train(
        self,
        x: np.ndarray,
        labels: np.ndarray,
        config: dict,
        proximal_mu: float = 0.0,
        seed: int = 0,
        order: str = "shuffled",
        on_progress: Optional[Callable[[dict], None]] = None,
        progress_every: int = 1,
    ) -> Dict[str, float]:
        """fl-core's trainEpochs: `epochs` passes in batches of `batchSize`, shuffled per epoch by Mulberry32(seed)
        (order='identity' keeps the stored order). Returns the mean loss of the last epoch (with the proximal term).

        `on_progress` gets {epoch, epochs, batch, batches, loss} every `progress_every` batches and at each epoch's end
        (loss: the epoch's mean so far); an exception it raises (a device told to stop) ends training. Every batch by
        default: unlike fl-core's loop, reading the loss here costs no GPU round trip, and a stop comes a step later."""
        x = self.shaped(x)
        labels = _labels(labels, self.num_classes)
        epochs, batch_size = int(config["epochs"]), int(config["batchSize"])
        optimizer = config.get("optimizer") or "sgd"
        if optimizer not in OPTIMIZERS:
            raise ValueError(f'the round asks for the optimizer "{optimizer}"; the client knows {", ".join(OPTIMIZERS)}')
        count = len(x)
        rng = Mulberry32(seed)
        indices = np.arange(count, dtype=np.int64)
        epoch_loss = 0.0
        self._begin({**config, "optimizer": optimizer}, float(proximal_mu or 0.0))
        try:
            for epoch in range(epochs):
                if order != "identity":
                    shuffle_in_place(indices, rng)
                loss_sum = 0.0
                batches = -(-count // batch_size)
                for b, start in enumerate(range(0, count, batch_size)):
                    batch = indices[start : start + batch_size]
                    loss_sum += self._step(x[batch], labels[batch]) * len(batch)
                    if on_progress and ((b + 1) % progress_every == 0 or b == batches - 1):
                        seen = min(start + batch_size, count)
                        on_progress({"epoch": epoch + 1, "epochs": epochs, "batch": b + 1, "batches": batches, "loss": loss_sum / seen})
                epoch_loss = loss_sum / count if count else 0.0
        finally:
            self._end()
        return {"loss": epoch_loss}


def _labels(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Class ids [n]; one-hot rows [n, classes] are accepted too."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    labels = labels.astype(np.int64).ravel()
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"the labels run from {labels.min()} to {labels.max()}; the model has {num_classes} classes (0 to {num_classes - 1})")
    return labels


def unflatten(values: np.ndarray, manifest: Sequence[dict]) -> list:
    """The flat values cut into the manifest's tensors (views, tfjs layouts)."""
    out, offset = [], 0
    for t in manifest:
        size = int(np.prod(t["shape"]))
        out.append(values[offset : offset + size].reshape(t["shape"]))
        offset += size
    return out

