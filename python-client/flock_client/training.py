"""A device's side of a round, as fl-core's RoundTrainer.train does it, less decoding and encoding (flock_client.wire):
evaluate the global model on held-out examples, train locally, take the delta, clip and noise it when instructed."""

import os
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from .models.trainer import Trainer


def privatize_delta(delta: np.ndarray, instructions: Optional[dict]) -> np.ndarray:
    """fl-core's privatizeDelta: clip to `clipNorm` (L2, summed in float64), then add N(0, noiseStd^2) to every value."""
    instructions = instructions or {}
    out = np.asarray(delta, dtype=np.float32)
    clip = instructions.get("clipNorm")
    if clip is not None:
        norm = float(np.sqrt(np.dot(out.astype(np.float64), out.astype(np.float64))))
        if norm > clip:
            out = (out * np.float32(clip / norm)).astype(np.float32)
    std = float(instructions.get("noiseStd") or 0.0)
    if std == 0:
        return out
    return (out + std * secure_gaussian(out.size)).astype(np.float32)


def secure_gaussian(n: int) -> np.ndarray:
    """n standard normal draws by Box-Muller from the OS's CSPRNG: local DP noise must not be predictable (never seeded)."""
    u = np.frombuffer(os.urandom(8 * n), dtype=np.uint32).astype(np.float64) / 4294967296.0
    first, second = 1 - u[:n], u[n:]
    return np.sqrt(-2 * np.log(first)) * np.cos(2 * np.pi * second)


def train_round(
    trainer: Trainer,
    global_values: np.ndarray,
    x: np.ndarray,
    labels: np.ndarray,
    config: dict,
    instructions: Optional[dict] = None,
    seed: int = 0,
    evaluate_on: Optional[Tuple[np.ndarray, np.ndarray]] = None,
    on_progress: Optional[Callable[[dict], None]] = None,
) -> Dict[str, Any]:
    """One round on local examples: `config` and `instructions` are round:start's; `seed` orders the batches
    (a tab uses seed_from_text(f"{shard_id}/{round}")); `on_progress` as Trainer.train's. Returns the delta to upload
    and the round's metrics."""
    instructions = instructions or {}
    trainer.set_weights(global_values)
    initial = trainer.get_weights()
    # Federated evaluation: the global model as received, on the device's held-out examples.
    evaluation = trainer.evaluate(*evaluate_on) if evaluate_on is not None else None
    trained = trainer.train(x, labels, config, proximal_mu=instructions.get("proximalMu") or 0.0, seed=seed, on_progress=on_progress)
    delta = trainer.get_weights() - initial
    result: Dict[str, Any] = {
        "delta": privatize_delta(delta, instructions),
        "numExamples": int(len(labels)),
        "loss": trained["loss"],
        # fl-core's measure: the trained model on the local examples.
        "accuracy": trainer.evaluate(x, labels)["accuracy"],
    }
    if evaluation is not None:
        result["evaluation"] = evaluation
    return result
