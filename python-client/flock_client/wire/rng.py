"""fl-core's seeded random source (data/random.ts), draw for draw, so Python and a tab round identically."""

from __future__ import annotations

from typing import Callable, Optional, Union

import numpy as np

_STEP = 0x6D2B79F5
_TWO_32 = 4294967296.0


class Mulberry32:
    """fl-core's createRng(seed): uniform draws in [0, 1). Call it for one draw, or draws(n) for the next n at once."""

    def __init__(self, seed: int) -> None:
        self._state = seed & 0xFFFFFFFF

    def __call__(self) -> float:
        return float(self.draws(1)[0])

    def draws(self, n: int) -> np.ndarray:
        # The state only ever adds _STEP, so the next n states are known without drawing one by one.
        steps = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(_STEP) + np.uint64(self._state)
        self._state = (self._state + n * _STEP) & 0xFFFFFFFF
        t = (steps & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        with np.errstate(over="ignore"):
            t = (t ^ (t >> np.uint32(15))) * (t | np.uint32(1))
            t ^= t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))
            t ^= t >> np.uint32(14)
        return t.astype(np.float64) / _TWO_32


def seed_from_text(text: str) -> int:
    """fl-core's seedFromText: FNV-1a over the text's UTF-16 code units."""
    h = 0x811C9DC5
    units = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(units), 2):
        h = ((h ^ (units[i] | units[i + 1] << 8)) * 0x01000193) & 0xFFFFFFFF
    return h


def uplink_rng(federation_id: Optional[str], shard_id: str, round_number: int) -> Mulberry32:
    """The draws fl-core's RoundTrainer rounds a device's uplink with: per federation, shard and round."""
    return Mulberry32(seed_from_text(f"{federation_id or ''}/{shard_id}/{round_number}/uplink"))


# What an encoder accepts as its random source: a Mulberry32 (or anything with draws(n)), a callable giving one draw
# per call like fl-core's `random`, or the draws themselves, in the order the encoder uses them.
RandomSource = Union[Mulberry32, Callable[[], float], np.ndarray, "list[float]"]


def take_draws(source: RandomSource, n: int) -> np.ndarray:
    """The next n draws of `source`, as float64."""
    draws = getattr(source, "draws", None)
    if callable(draws):
        out = np.asarray(draws(n), dtype=np.float64)
    elif callable(source):
        out = np.fromiter((source() for _ in range(n)), dtype=np.float64, count=n)
    else:
        out = np.asarray(source, dtype=np.float64).ravel()
        if out.size < n:
            raise ValueError(f"{out.size} random draws were given, the encoder needs {n}")
        out = out[:n]
    if out.shape != (n,):
        raise ValueError(f"the random source gave {out.size} draws, the encoder asked for {n}")
    return out
